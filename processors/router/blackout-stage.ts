import { BlackoutWindow } from './blackout.js';
import type { BlackoutWindowConfig } from './config.js';
import type { ResolvedRoute } from './routing.js';
import type { MuteStage, StagedAlert, Suppression } from './stage.js';

/**
 * Holds the notifications of a route while one of its blackout windows is
 * active. The suppression carries the window's end, at which the router
 * flushes the group again, so alerts still firing then are notified at
 * once rather than at the next repeat.
 */
export class BlackoutStage implements MuteStage {
  readonly name = 'blackout';
  private readonly windows: ReadonlyMap<string, BlackoutWindow>;

  constructor(configs: readonly BlackoutWindowConfig[]) {
    this.windows = new Map(configs.map((config) => [config.name, new BlackoutWindow(config)]));
  }

  check(_alert: StagedAlert, route: ResolvedRoute, now: number): Suppression | undefined {
    for (const name of route.blackouts) {
      const window = this.windows.get(name);
      const until = window?.activeUntil(now);
      if (until === undefined) continue;
      return {
        reason: 'blackout_window',
        blackoutWindow: name,
        until,
        detail: `blackout window ${name} (${window!.timeZone}) is active until ${new Date(until).toISOString()}`,
      };
    }
    return undefined;
  }
}
