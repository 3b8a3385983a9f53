import { DateTime, IANAZone } from 'luxon';
import type { BlackoutWindowConfig } from './config.js';

const DAY_MS = 86_400_000;

/** A calendar date and wall-clock time, without a zone. */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
}

export const isValidTimeZone = (zone: string): boolean => IANAZone.isValidZone(zone);

/** UTC offset of `zone` at the instant `ms`, in milliseconds. */
function offsetMs(ms: number, zone: string): number {
  return DateTime.fromMillis(ms, { zone }).offset * 60_000;
}

/**
 * Returns the first instant at which the wall clock in `zone` reads `local`
 * or later. A time that occurs twice when clocks go back maps to its first
 * occurrence. A time that clocks skip when they go forward maps to the end of
 * the gap (02:30 on a spring-forward night in Europe/Berlin is 03:00 CEST).
 * Assumes at most one offset change within a day before or after `local`.
 * Every zone in Node's time zone data meets that from 1990 to 2040, checked
 * in 6-hour steps.
 */
export function instantOfLocal(local: LocalDateTime, zone: string): number {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second ?? 0);
  const offsetBefore = offsetMs(wall - DAY_MS, zone);
  const offsetAfter = offsetMs(wall + DAY_MS, zone);

  const candidates = [...new Set([offsetBefore, offsetAfter])]
    .map((offset) => wall - offset)
    .filter((instant) => instant + offsetMs(instant, zone) === wall);
  if (candidates.length > 0) return Math.min(...candidates);

  // In a gap: the transition instant is the first one whose wall time is at
  // or after `local`. Before it the old offset applies, from it the new one.
  let low = wall - offsetAfter;
  let high = wall - offsetBefore;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (offsetMs(middle, zone) === offsetAfter) high = middle;
    else low = middle;
  }
  return high;
}

/** Parses `HH:MM` (00:00 to 24:00) into minutes of the day; undefined when invalid. */
export function parseTimeOfDay(text: string): number | undefined {
  const match = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text);
  if (!match) return undefined;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  return minutes <= 24 * 60 ? minutes : undefined;
}

const OFFSET_SUFFIX = /(Z|[+-]\d\d:?\d\d)$/i;

/**
 * Parses a one-off boundary: `2026-04-01T09:00` (wall time in `zone`, seconds
 * optional) or an ISO 8601 instant with `Z` or an offset. Undefined when invalid.
 */
export function parseBoundary(text: string, zone: string): number | undefined {
  if (OFFSET_SUFFIX.test(text)) {
    const instant = DateTime.fromISO(text, { setZone: true });
    return instant.isValid ? instant.toMillis() : undefined;
  }
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(text)) return undefined;
  const fields = DateTime.fromISO(text, { zone: 'utc' });
  if (!fields.isValid) return undefined;
  return instantOfLocal({ year: fields.year, month: fields.month, day: fields.day, hour: fields.hour, minute: fields.minute, second: fields.second }, zone);
}

/** ISO weekday numbers (Monday 1 to Sunday 7) by the names the configuration accepts. */
export const WEEKDAYS: Readonly<Record<string, number>> = {
  mon: 1, monday: 1, tue: 2, tuesday: 2, wed: 3, wednesday: 3, thu: 4, thursday: 4,
  fri: 5, friday: 5, sat: 6, saturday: 6, sun: 7, sunday: 7,
};

interface WeeklyRange {
  days: ReadonlySet<number>;
  /** Minutes of the day. */
  start: number;
  /** Minutes of the day. A value at or before `start` means the range ends on the next day. */
  end: number;
}

/**
 * A named blackout window: one-off ranges and weekly ranges in one IANA time
 * zone. Weekly ranges follow the wall clock: "22:00 to 06:00" starts at the
 * first instant the clock reads 22:00 on a listed day and ends at the first
 * instant it reads 06:00 after that. So it lasts 7 or 9 hours on the nights
 * clocks change, and a range inside a repeated hour runs once, in its first
 * occurrence.
 */
export class BlackoutWindow {
  readonly name: string;
  readonly timeZone: string;
  private readonly once: ReadonlyArray<{ start: number; end: number }>;
  private readonly weekly: readonly WeeklyRange[];

  constructor(config: BlackoutWindowConfig) {
    this.name = config.name;
    this.timeZone = config.time_zone;
    this.once = config.once.map((range) => ({ start: parseBoundary(range.start, this.timeZone)!, end: parseBoundary(range.end, this.timeZone)! }));
    this.weekly = config.weekly.map((range) => ({
      days: new Set((range.days.length > 0 ? range.days : ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']).map((day) => WEEKDAYS[day.toLowerCase()]!)),
      start: parseTimeOfDay(range.start)!,
      end: parseTimeOfDay(range.end)!,
    }));
  }

  /**
   * Returns the end of the blackout that covers `now`, or undefined when none does.
   * Ranges that overlap or touch count as one blackout, so the end returned
   * is the first instant no range covers.
   */
  activeUntil(now: number): number | undefined {
    let end = this.rangeEndAt(now);
    if (end === undefined) return undefined;
    // Follow touching ranges, such as Saturday 00:00-24:00 then Sunday 00:00-24:00, for max 400 hops (more than a year of daily ranges).
    for (let hops = 0; hops < 400; hops++) {
      const next = this.rangeEndAt(end);
      if (next === undefined || next <= end) break;
      end = next;
    }
    return end;
  }

  /** Returns the latest end among the ranges that cover `now`, or undefined when none does. */
  private rangeEndAt(now: number): number | undefined {
    let end: number | undefined;
    for (const range of this.once) {
      if (range.start <= now && now < range.end) end = Math.max(end ?? 0, range.end);
    }

    const today = DateTime.fromMillis(now, { zone: this.timeZone });
    for (const back of [1, 0]) {
      // Calendar arithmetic on the bare date, in UTC, so no zone rule moves it.
      const date = DateTime.utc(today.year, today.month, today.day).minus({ days: back });
      for (const range of this.weekly) {
        if (!range.days.has(date.weekday)) continue;
        const start = this.instantOn(date, range.start);
        const endDate = range.end > range.start ? date : date.plus({ days: 1 });
        const rangeEnd = this.instantOn(endDate, range.end);
        if (start <= now && now < rangeEnd) end = Math.max(end ?? 0, rangeEnd);
      }
    }
    return end;
  }

  private instantOn(date: DateTime, minutes: number): number {
    const day = minutes === 24 * 60 ? date.plus({ days: 1 }) : date;
    const minuteOfDay = minutes % (24 * 60);
    return instantOfLocal({ year: day.year, month: day.month, day: day.day, hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60 }, this.timeZone);
  }
}
