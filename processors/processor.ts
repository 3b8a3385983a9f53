import { formatDiagnostics } from '../grammar/diagnostics.js';
import type { Bus, DeliveredRecord, PartitionStarts, Subscription } from '../pipeline/bus/bus.js';
import type { Clock, Timer } from '../pipeline/clock/index.js';
import type { Logger } from '../pipeline/log/logger.js';
import type { AlertEvent } from '../pipeline/messages/alert-event.js';
import { decodeRecord } from '../pipeline/messages/decode-records.js';
import { METRICS } from '../pipeline/messages/topics.js';
import type { CheckpointStore } from '../pipeline/state/checkpoint-store.js';
import type { ProcessorConfig } from './config.js';
import { RuleEngine } from './rules/engine.js';
import { loadRuleSet, RuleFileError } from './rules/rule-set.js';
import type { AgentSnapshot } from './rules/snapshot.js';
import { TransitionQueue } from './transition-queue.js';

export interface ProcessorDeps {
  bus: Bus;
  metricsTopic: string;
  alertsTopic: string;
  group: string;
  config: ProcessorConfig;
  /** Receiver names that rules may notify. */
  receivers: readonly string[];
  checkpoints: CheckpointStore;
  clock: Clock;
  logger: Logger;
}

export interface RunningProcessor {
  /** Rereads the rule files and swaps the new set in at once; keeps the old set when a file has errors. Returns whether it swapped. */
  reloadRules(): Promise<boolean>;
  /** Engine counters, for tests and metrics. */
  stats(): ReturnType<RuleEngine['stats']> & { replayingPartitions: number; behind: boolean };
  close(): Promise<void>;
}

/** Processor state of one partition it owns: its agents, checkpoint progress and replay range. */
interface PartitionState {
  agents: Set<string>;
  /** Agents whose state changed since the last checkpoint. */
  dirty: Set<string>;
  /** Offset of the last record handled, as a decimal string; undefined before the first. */
  lastOffset?: string;
  /** Records up to this offset are covered by the restored checkpoint and only rebuild windows. */
  replayUntil?: bigint;
  lastCheckpointAt: number;
}

/**
 * Starts the processor role: consumes the metrics topic, evaluates the rule
 * files and dead-man groups, and publishes alert transitions to the alerts
 * topic keyed by fingerprint.
 *
 * Failover: each partition's alert states and last-seen times are
 * checkpointed every `checkpoint_interval`. A replica that gains a
 * partition restores its checkpoint, replays the partition from
 * (checkpoint time - longest window) to rebuild windows without evaluating,
 * and continues live after the checkpoint's offset. Records after the
 * checkpoint are evaluated again. The transitions they repeat carry the
 * same idempotency keys, so the router drops them as duplicates.
 */
export async function startProcessor(deps: ProcessorDeps): Promise<RunningProcessor> {
  const { bus, clock, logger, config, checkpoints } = deps;
  const ruleOptions = { files: config.rule_files, deadman: config.deadman, receivers: deps.receivers, maxWindowMs: config.max_window };

  const initial = loadRuleSet(ruleOptions);
  if (!initial.ok) throw new RuleFileError(initial.diagnostics);
  if (initial.warnings.length > 0) logger.warn({ diagnostics: formatDiagnostics(initial.warnings) }, 'rule files have warnings');
  const engine = new RuleEngine(initial.rules, { allowedLatenessMs: config.allowed_lateness, stalenessMs: config.staleness, clock });
  logger.info({ rules: initial.rules.length, files: config.rule_files, deadmanGroups: config.deadman.length }, 'rules loaded');

  const queue = new TransitionQueue(bus, deps.alertsTopic, logger);
  const partitions = new Map<number, PartitionState>();
  const partitionOfAgent = new Map<string, number>();
  let subscription: Subscription | undefined;

  const markDirty = (events: readonly AlertEvent[]): void => {
    for (const event of events) {
      const partition = partitionOfAgent.get(event.agentId);
      if (partition !== undefined) partitions.get(partition)?.dirty.add(event.agentId);
    }
  };

  /** Saves a partition's changed agents, but only once every transition they caused is on the bus. */
  const checkpoint = async (partition: number, state: PartitionState): Promise<void> => {
    if (state.lastOffset === undefined || state.replayUntil !== undefined || queue.size > 0) return;
    const changed = new Map<string, string>();
    for (const snapshot of engine.snapshot(state.dirty)) changed.set(snapshot.agentId, JSON.stringify(snapshot));
    await checkpoints.save(deps.group, partition, { offset: state.lastOffset, savedAt: clock.now(), changed });
    state.dirty.clear();
    state.lastCheckpointAt = clock.now();
  };

  const onAssigned = async (gained: readonly number[]): Promise<PartitionStarts> => {
    const starts = new Map<number, string>();
    const replayWindowMs = engine.longestWindowMs + config.allowed_lateness;
    for (const partition of gained) {
      const state: PartitionState = { agents: new Set(), dirty: new Set(), lastCheckpointAt: clock.now() };
      partitions.set(partition, state);

      const saved = await checkpoints.load(deps.group, partition);
      if (!saved) continue;

      const snapshots = [...saved.entries.values()].map((text) => JSON.parse(text) as AgentSnapshot);
      engine.restore(snapshots);
      for (const snapshot of snapshots) {
        state.agents.add(snapshot.agentId);
        partitionOfAgent.set(snapshot.agentId, partition);
      }

      // Replay from far enough back to refill the longest window, and at
      // least from just after the checkpoint.
      const afterCheckpoint = BigInt(saved.offset) + 1n;
      const byTime = (await bus.offsetsForTime(deps.metricsTopic, saved.savedAt - replayWindowMs)).get(partition);
      const start = byTime !== undefined && BigInt(byTime) < afterCheckpoint ? BigInt(byTime) : afterCheckpoint;
      if (start < afterCheckpoint) state.replayUntil = BigInt(saved.offset);
      starts.set(partition, start.toString());
      logger.info({ partition, agents: snapshots.length, checkpointOffset: saved.offset, replayFrom: start.toString() }, 'partition restored from its checkpoint');
    }
    return starts;
  };

  const onRevoked = async (lost: readonly number[]): Promise<void> => {
    await queue.flush().catch((error: unknown) => logger.warn({ err: error }, 'transitions not published before a rebalance; the next owner derives them again'));
    for (const partition of lost) {
      const state = partitions.get(partition);
      if (!state) continue;
      await checkpoint(partition, state).catch((error: unknown) => logger.warn({ err: error, partition }, 'final checkpoint failed; the next owner replays from the previous one'));
      engine.drop(state.agents);
      for (const agentId of state.agents) partitionOfAgent.delete(agentId);
      partitions.delete(partition);
      logger.info({ partition, agents: state.agents.size }, 'partition handed over');
    }
  };

  subscription = await bus.subscribe({
    topic: deps.metricsTopic,
    group: deps.group,
    onAssigned,
    onRevoked,
    handle: async (records: readonly DeliveredRecord[]) => {
      await queue.flush();
      const events: AlertEvent[] = [];
      const touched = new Set<number>();

      for (const record of records) {
        const state = partitions.get(record.partition);
        if (!state) continue;
        // The bus redelivers a batch after this handler fails, such as when its transitions
        // were not published. Its samples are in the windows already, and the queue keeps the transitions.
        if (state.lastOffset !== undefined && BigInt(record.offset) <= BigInt(state.lastOffset)) continue;
        const batch = decodeRecord(METRICS, record, logger);
        if (batch) {
          const replay = state.replayUntil !== undefined && BigInt(record.offset) <= state.replayUntil;
          events.push(...engine.observe(batch, { replay }));
          state.agents.add(batch.agentId);
          partitionOfAgent.set(batch.agentId, record.partition);
          if (!replay) state.dirty.add(batch.agentId);
        }
        state.lastOffset = record.offset;
        if (state.replayUntil !== undefined && BigInt(record.offset) >= state.replayUntil) state.replayUntil = undefined;
        touched.add(record.partition);
      }

      await queue.publish(events);

      const now = clock.now();
      for (const partition of touched) {
        const state = partitions.get(partition)!;
        if (now - state.lastCheckpointAt >= config.checkpoint_interval) await checkpoint(partition, state);
      }
    },
  });

  const isBehind = (): boolean => {
    const lag = subscription?.lag();
    if (!lag || lag.records === 0) return false;
    return clock.now() - lag.lastHandledTimestamp > config.max_lag;
  };
  const replaying = (): number => [...partitions.values()].filter((state) => state.replayUntil !== undefined).length;

  let timer: Timer | undefined;
  let stopped = false;
  let heldSince: number | undefined;
  const tick = (): void => {
    if (stopped) return;
    // Batches still queued on the bus may come from agents that look silent.
    if (isBehind() || replaying() > 0) {
      if (heldSince === undefined) {
        heldSince = clock.now();
        logger.warn({ lag: subscription?.lag(), replayingPartitions: replaying() }, 'processor is behind the bus; holding dead-man alerts');
      }
    } else {
      if (heldSince !== undefined) logger.info({ heldForMs: clock.now() - heldSince }, 'processor caught up; dead-man alerts resume');
      heldSince = undefined;
      const events = engine.tick();
      markDirty(events);
      queue.publish(events).catch((error: unknown) => logger.warn({ err: error }, 'publishing timed transitions failed; they stay queued'));
    }
    timer = clock.setTimeout(tick, config.tick_interval);
  };
  timer = clock.setTimeout(tick, config.tick_interval);

  return {
    reloadRules: async () => {
      const next = loadRuleSet(ruleOptions);
      if (!next.ok) {
        logger.error({ diagnostics: formatDiagnostics(next.diagnostics) }, 'rule files have errors; the previous rules keep running');
        return false;
      }
      const retired = engine.setRules(next.rules);
      markDirty(retired);
      logger.info({ rules: next.rules.length, resolvedByRemoval: retired.length }, 'rules reloaded');
      await queue.publish(retired);
      return true;
    },
    stats: () => ({ ...engine.stats(), replayingPartitions: replaying(), behind: isBehind() }),
    close: async () => {
      stopped = true;
      timer?.cancel();
      await subscription?.close();
      await queue.flush().catch((error: unknown) => logger.error({ err: error, pending: queue.size }, 'transitions not published at shutdown'));
    },
  };
}
