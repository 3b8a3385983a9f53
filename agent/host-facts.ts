import { arch, hostname } from 'node:os';
import si, { type Systeminformation } from 'systeminformation';
import type { Clock } from '../pipeline/clock/index.js';
import { HOST_FACT_TAGS, type HostFacts, hostFactIssue } from '../pipeline/messages/metric-batch.js';

/** Source of the facts about this host that every batch carries. */
export interface HostFactsSource {
  read(): Promise<HostFacts>;
}

/**
 * How long the facts from systeminformation are reused. Reading them takes
 * about 100 ms and starts child processes on Linux (measured with
 * systeminformation 5.33 on Debian 12), and they change only with an
 * operating system or kernel upgrade.
 */
export const HOST_FACTS_REFRESH_MS = 3_600_000;

/**
 * Host facts of this machine. The distribution's name and release and the
 * kernel version come from systeminformation's osInfo, reread every hour.
 * The hostname, architecture and platform come from Node on every read, so a
 * renamed host shows within one collection.
 *
 * When a reread fails, the facts read before are kept and the next read
 * tries again. Only a failure of the first read rejects.
 */
export class SystemHostFacts implements HostFactsSource {
  private system: { facts: HostFacts; readAt: number } | undefined;

  /** `readOsInfo` is systeminformation's osInfo unless a test gives another. */
  constructor(
    private readonly clock: Clock,
    private readonly readOsInfo: () => Promise<Pick<Systeminformation.OsData, 'distro' | 'release' | 'kernel'>> = () => si.osInfo(),
  ) {}

  async read(): Promise<HostFacts> {
    const now = this.clock.now();
    let system = this.system;
    if (!system || now - system.readAt >= HOST_FACTS_REFRESH_MS) {
      try {
        const info = await this.readOsInfo();
        system = { facts: { os: info.distro, osRelease: info.release, kernel: info.kernel }, readAt: now };
        this.system = system;
      } catch (error) {
        if (!system) throw error;
      }
    }
    return validHostFacts({ hostname: hostname(), ...system.facts, arch: arch(), platform: process.platform });
  }
}

/**
 * Returns the facts that the gateway accepts, trimmed. The gateway rejects a
 * whole batch for one invalid fact, so an empty or overlong value, or one
 * with control characters, is left out here.
 */
export function validHostFacts(facts: HostFacts): HostFacts {
  const valid: HostFacts = {};
  for (const [field] of HOST_FACT_TAGS) {
    const fact = facts[field]?.trim();
    if (fact !== undefined && hostFactIssue(fact) === undefined) valid[field] = fact;
  }
  return valid;
}
