import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Clock } from '../../../pipeline/clock/index.js';
import type { Notification } from '../../../pipeline/messages/notification.js';
import { type Channel, type ChannelContext, DeliveryError } from '../channel.js';
import { ChannelConfigError, resolveValue, secretOrText } from '../config-fields.js';
import { alertGroup } from '../group.js';
import type { ChannelType } from '../registry-types.js';
import { type ModuleConfig, moduleConfigSchema } from './config.js';
import type { ChannelModule, ModuleChannelContext } from './contract.js';

export type { ChannelModule, ModuleChannelContext, OptionsSchema } from './contract.js';

/**
 * Imports a channel module, validates the receiver's options with the
 * module's optionsSchema or validate export, and builds its channel. Every
 * problem rejects with ChannelConfigError naming the receiver and the module.
 */
export async function loadModuleChannel(config: ModuleConfig, context: ChannelContext): Promise<Channel> {
  const where = `receiver ${context.receiver}: module ${config.module}`;
  const channelModule = await importChannelModule(config.module, where);
  const options = validateOptions(channelModule, config.options, where);

  const moduleContext: ModuleChannelContext = {
    ...context,
    resolveSecret: (value, what) => {
      const parsed = secretOrText.safeParse(value);
      if (!parsed.success) throw new ChannelConfigError(`${where}: ${what} must be text, { env: NAME } or { file: PATH }`);
      return resolveValue(parsed.data, context.env, `${where}: ${what}`);
    },
  };

  let inner: Channel;
  try {
    inner = await channelModule.createChannel(options, moduleContext);
  } catch (error) {
    if (error instanceof ChannelConfigError) throw error;
    throw new ChannelConfigError(`${where}: createChannel failed: ${(error as Error)?.message ?? String(error)}`);
  }
  if (typeof inner !== 'object' || inner === null || typeof inner.deliver !== 'function') {
    throw new ChannelConfigError(`${where}: createChannel must return an object with a deliver(notification) method`);
  }

  const type = typeof inner.type === 'string' && inner.type !== '' ? inner.type : 'module';
  return new ModuleChannel(type, inner, config.timeout, context.clock, context.receiver);
}

async function importChannelModule(path: string, where: string): Promise<ChannelModule> {
  let imported: Record<string, unknown>;
  try {
    imported = (await import(pathToFileURL(resolve(process.cwd(), path)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new ChannelConfigError(`${where} could not be loaded: ${(error as Error)?.message ?? String(error)}`);
  }

  // A module may export its parts by name or as one default object.
  const fromDefault = imported.default;
  const exports = (typeof fromDefault === 'object' && fromDefault !== null && 'createChannel' in fromDefault ? fromDefault : imported) as Partial<ChannelModule>;

  if (typeof exports.createChannel !== 'function') {
    throw new ChannelConfigError(`${where} exports no createChannel function; a channel module exports createChannel(options, context) and optionsSchema or validate`);
  }
  if (typeof exports.optionsSchema?.safeParse !== 'function' && typeof exports.validate !== 'function') {
    throw new ChannelConfigError(`${where} exports neither optionsSchema (a schema with safeParse) nor validate(options); export one so that its options are checked`);
  }
  return exports as ChannelModule;
}

function validateOptions(channelModule: ChannelModule, options: Record<string, unknown>, where: string): unknown {
  if (channelModule.optionsSchema) {
    const result = channelModule.optionsSchema.safeParse(options);
    if (result.success) return result.data;
    const issues = result.error.issues.map((issue) => `options${issue.path.map((key) => `.${String(key)}`).join('')}: ${issue.message}`);
    throw new ChannelConfigError(`${where}: invalid options: ${issues.join('; ')}`);
  }
  try {
    return channelModule.validate!(options);
  } catch (error) {
    throw new ChannelConfigError(`${where}: invalid options: ${(error as Error)?.message ?? String(error)}`);
  }
}

/**
 * A module's channel with a time limit per call and its errors converted to
 * DeliveryError. The module always receives `alerts`, `status` and
 * `groupLabels`, filled in from `alert` for a notification published before
 * routers grouped alerts. An error with a boolean `retryable` (and optionally
 * `retryAfterMs` and `status`) becomes a DeliveryError with the same
 * meaning. Any other error passes through, and the notifier treats it as
 * permanent.
 */
class ModuleChannel implements Channel {
  constructor(
    readonly type: string,
    private readonly inner: Channel,
    private readonly timeoutMs: number,
    private readonly clock: Clock,
    private readonly receiver: string,
  ) {}

  async deliver(notification: Notification): Promise<void> {
    let cancel = (): void => {};
    const timeout = new Promise<never>((_, reject) => {
      const timer = this.clock.setTimeout(() => reject(new DeliveryError(`module channel ${this.receiver} timed out after ${this.timeoutMs} ms`, true)), this.timeoutMs);
      cancel = () => timer.cancel();
    });
    try {
      await Promise.race([this.inner.deliver(withGroupFields(notification)), timeout]);
    } catch (error) {
      throw asDeliveryError(error);
    } finally {
      cancel();
    }
  }
}

function withGroupFields(notification: Notification): Notification {
  const group = alertGroup(notification);
  return { ...notification, alerts: group.alerts, status: group.status, groupLabels: group.groupLabels };
}

function asDeliveryError(error: unknown): unknown {
  if (error instanceof DeliveryError) return error;
  const shaped = error as { retryable?: unknown; retryAfterMs?: unknown; status?: unknown; message?: unknown } | undefined;
  if (typeof shaped?.retryable !== 'boolean') return error;

  const options: { retryAfterMs?: number; status?: number; cause: unknown } = { cause: error };
  if (typeof shaped.retryAfterMs === 'number' && shaped.retryAfterMs >= 0) options.retryAfterMs = shaped.retryAfterMs;
  if (typeof shaped.status === 'number') options.status = shaped.status;
  return new DeliveryError(typeof shaped.message === 'string' ? shaped.message : String(error), shaped.retryable, options);
}

export const moduleChannel: ChannelType<typeof moduleConfigSchema> = {
  type: 'module',
  configSchema: moduleConfigSchema,
  create: (config, context) => loadModuleChannel(config, context),
};
