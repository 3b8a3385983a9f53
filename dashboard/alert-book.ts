import type { AlertEvent } from '../pipeline/messages/alert-event.js';
import type { AlertView } from './client/protocol.js';

interface FiringAlert {
  view: AlertView;
  /** Whether a diff or snapshot has carried this alert yet. */
  announced: boolean;
}

interface EndedEpisode {
  activeAt: number;
  /** Event time of the transition that ended the episode, used for pruning. */
  at: number;
}

/**
 * Store of the firing alerts, built from the transitions on the alerts topic,
 * and of the changes to them since the last diff.
 *
 * Delivery is at least once and per fingerprint in order, so a repeated
 * transition is recognised by its episode (`activeAt`). A `firing` of an
 * episode that already ended, or of the episode already firing, changes
 * nothing.
 */
export class AlertBook {
  private readonly firing = new Map<string, FiringAlert>();
  private readonly ended = new Map<string, EndedEpisode>();
  /** Firing dead-man alerts per agent id. */
  private readonly deadmanCounts = new Map<string, number>();
  private readonly newlyFiring = new Set<string>();
  private readonly newlyResolved = new Set<string>();

  /** @param deadmanRules names of the rules whose firing alert makes its agent silent */
  constructor(private readonly deadmanRules: ReadonlySet<string>) {}

  /** Applies one transition and returns the agent id when the agent's dead-man state changed. */
  record(event: AlertEvent): string | undefined {
    if (event.state === 'firing') return this.fire(event);
    if (event.state === 'resolved' || event.state === 'inactive') return this.end(event);
    return undefined;
  }

  /** Returns whether a dead-man alert of the agent is firing. */
  deadmanFiring(agentId: string): boolean {
    return (this.deadmanCounts.get(agentId) ?? 0) > 0;
  }

  /** Returns every firing alert, for a snapshot. */
  list(): AlertView[] {
    return [...this.firing.values()].map((alert) => alert.view);
  }

  /**
   * Returns the alerts that started or stopped firing since the last call, and
   * marks the firing ones announced. Both lists are empty when nothing changed.
   */
  takeChanges(): { firing: AlertView[]; resolved: string[] } {
    const firing: AlertView[] = [];
    for (const fingerprint of this.newlyFiring) {
      const alert = this.firing.get(fingerprint);
      if (!alert) continue;
      alert.announced = true;
      firing.push(alert.view);
    }
    const resolved = [...this.newlyResolved];
    this.newlyFiring.clear();
    this.newlyResolved.clear();
    return { firing, resolved };
  }

  /** Forgets ended episodes older than `before`, so that the book does not grow with every fingerprint ever seen. */
  prune(before: number): void {
    for (const [fingerprint, episode] of this.ended) {
      if (episode.at < before) this.ended.delete(fingerprint);
    }
  }

  private fire(event: AlertEvent): string | undefined {
    if (this.ended.get(event.fingerprint)?.activeAt === event.activeAt) return undefined;
    const current = this.firing.get(event.fingerprint);
    if (current?.view.activeAt === event.activeAt) return undefined;

    const view: AlertView = {
      fingerprint: event.fingerprint,
      rule: event.rule,
      severity: event.severity,
      agentId: event.agentId,
      activeAt: event.activeAt,
      firingSince: event.at,
      value: event.value,
      summary: event.annotations?.summary ?? '',
      silencesAgent: this.deadmanRules.has(event.rule),
    };
    // A new episode replaces the old one, whose resolution was lost. The page also replaces it by fingerprint.
    this.firing.set(event.fingerprint, { view, announced: current?.announced ?? false });
    this.newlyFiring.add(event.fingerprint);
    if (current || !view.silencesAgent) return undefined;
    this.deadmanCounts.set(view.agentId, (this.deadmanCounts.get(view.agentId) ?? 0) + 1);
    return view.agentId;
  }

  private end(event: AlertEvent): string | undefined {
    this.ended.set(event.fingerprint, { activeAt: event.activeAt, at: event.at });
    const current = this.firing.get(event.fingerprint);
    if (!current) return undefined;

    this.firing.delete(event.fingerprint);
    this.newlyFiring.delete(event.fingerprint);
    if (current.announced) this.newlyResolved.add(event.fingerprint);
    if (!current.view.silencesAgent) return undefined;

    const count = (this.deadmanCounts.get(current.view.agentId) ?? 1) - 1;
    if (count > 0) this.deadmanCounts.set(current.view.agentId, count);
    else this.deadmanCounts.delete(current.view.agentId);
    return current.view.agentId;
  }
}
