import type { Clock, Timer } from '../../pipeline/clock/index.js';
import { LogThrottle } from '../../pipeline/log/log-throttle.js';
import type { Logger } from '../../pipeline/log/logger.js';
import type { CredentialStore } from '../../pipeline/state/credential-store.js';

/**
 * Revoked client ids, reread from the credential store every `refreshMs`.
 * Each request is checked in memory, and a revocation made on any replica
 * (or by `fleetpulse credentials revoke`) applies everywhere within one
 * refresh interval. When a reread fails, the last list stays in use and the
 * failures are logged at most once a minute.
 */
export class RevocationList {
  private revoked = new Map<string, number>();
  private timer: Timer | undefined;
  private readonly failureLog: LogThrottle;

  constructor(
    private readonly store: CredentialStore,
    private readonly refreshMs: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.failureLog = new LogThrottle(clock, 60_000);
  }

  /** Reads the list once, then rereads it every `refreshMs` until `stop`. */
  async start(): Promise<void> {
    await this.refresh();
    const schedule = (): void => {
      this.timer = this.clock
        .setTimeout(() => {
          this.refresh()
            .catch((error: unknown) => {
              const failures = this.failureLog.record();
              if (failures !== undefined) this.logger.warn({ err: error, failures }, 'rereading revoked credentials failed; the last list stays in use');
            })
            .finally(schedule);
        }, this.refreshMs)
        .unref();
    };
    schedule();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  async refresh(): Promise<void> {
    this.revoked = await this.store.revocations();
  }

  /** Revocation time of a client id, or undefined while it is not revoked. */
  revokedAt(clientId: string): number | undefined {
    return this.revoked.get(clientId);
  }
}
