import type { Clock } from '../../pipeline/clock/index.js';
import type { Logger } from '../../pipeline/log/logger.js';
import { type Silence, silenceMatches } from '../../pipeline/messages/silence.js';
import type { SilenceStore } from '../../pipeline/state/silence-store.js';
import type { MuteStage, StagedAlert, Suppression } from './stage.js';

/**
 * Suppresses alerts that an active silence matches. The router calls
 * `refresh` before each round of flushes, and it rereads the silence store
 * once `refreshMs` has passed since the last successful read. When a read
 * fails, the failure is logged, the silences read before stay in force and
 * the next `refresh` tries again.
 */
export class SilenceStage implements MuteStage {
  readonly name = 'silences';
  private silences: readonly Silence[] = [];
  private readAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: Pick<SilenceStore, 'list'>,
    private readonly refreshMs: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Rereads the silences when the last successful read is at least `refreshMs` old. */
  async refresh(): Promise<void> {
    const now = this.clock.now();
    if (now - this.readAt < this.refreshMs) return;
    try {
      this.silences = await this.store.list();
      this.readAt = now;
    } catch (error) {
      this.logger.warn({ err: error }, 'reading silences failed; the silences read before stay in force');
    }
  }

  check(alert: StagedAlert, _route: unknown, now: number): Suppression | undefined {
    const silence = this.silences.find((candidate) => silenceMatches(candidate, alert.labels, now));
    if (!silence) return undefined;
    return {
      reason: 'silenced',
      silenceId: silence.id,
      detail: `silenced until ${new Date(silence.endsAt).toISOString()} by ${silence.createdBy}: ${silence.comment}`,
    };
  }
}
