import type { Clock } from '../../pipeline/clock/index.js';
import { LogThrottle } from '../../pipeline/log/log-throttle.js';
import type { Logger } from '../../pipeline/log/logger.js';
import { HOST_FACT_TAGS, type HostFacts, tagIssue } from '../../pipeline/messages/metric-batch.js';
import type { Principal } from '../auth/tokens.js';
import { type AddressWords, parseAddress } from './cidr.js';
import { AGENT_GROUP_TAG, type TaggingConfig, type TaggingRule } from './config.js';

/** The inputs that decide the final tags of one batch. */
export interface TagRequest {
  agentId: string;
  /** The batch's `tags`, from the agent's configuration. */
  agentTags: Readonly<Record<string, string>>;
  host: HostFacts | undefined;
  /** The connection's peer address; `unknown` for a request without a socket. */
  ip: string;
  /** The verified access token's claims. */
  principal: Pick<Principal, 'agentId' | 'clientId' | 'group' | 'tags'>;
}

/** Tags that the agent cannot override: the matching rules' and the token's, merged. */
interface Overlay {
  tags: Readonly<Record<string, string>>;
  /** Lower-cased keys of `tags`. */
  folded: ReadonlySet<string>;
}

export interface TaggerOptions {
  logger: Logger;
  clock: Clock;
  /** Max cached overlays, one per (agent id, hostname, IP address, token claims). 100,000 by default. */
  cacheSize?: number;
}

const DEFAULT_CACHE_SIZE = 100_000;

/**
 * Assembles an agent's final tags from four sources. On the same key, a
 * later source wins:
 *
 * 1. the batch's `tags`, from the agent's configuration;
 * 2. the host facts the batch reports (`hostname`, `os`, `os_release`,
 *    `kernel`, `arch`, `platform`);
 * 3. the tags of every `gateway.tagging.rules` entry that matches, in order;
 * 4. the access token's `tags` claim, then `agent_group` from its `grp` claim.
 *
 * A key that differs from a later source's key only in case is dropped too,
 * because QuestDB folds the case of column names and would otherwise keep
 * whichever came first.
 *
 * Sources 3 and 4 depend only on the agent id, the hostname, the peer
 * address and the token's claims, so their merged tags are computed once per
 * combination and cached (first in, first out).
 *
 * ```ts
 * const tagger = new Tagger(config.tagging, { logger, clock });
 * batch.tags = tagger.tagsFor({ agentId, agentTags: batch.tags, host: batch.host, ip: clientAddress(c), principal });
 * ```
 */
export class Tagger {
  private readonly overlays = new Map<string, Overlay>();
  /**
   * Cache key part and checked tags of each token's claims. The token
   * verifier returns the same Principal object while it caches the token.
   */
  private readonly claims = new WeakMap<object, { key: string; tags: Record<string, string> }>();
  private readonly cacheSize: number;
  private readonly invalidClaimLog: LogThrottle;

  constructor(
    private readonly config: TaggingConfig,
    private readonly options: TaggerOptions,
  ) {
    this.cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
    this.invalidClaimLog = new LogThrottle(options.clock, 60_000);
  }

  /** Returns a new object with the final tags. The request's objects are not changed. */
  tagsFor(request: TagRequest): Record<string, string> {
    const overlay = this.overlayFor(request);
    const hostTags = hostFactTags(request.host);
    const tags: Record<string, string> = {};

    // Host fact tag names are lower case, so a folded key finds them directly.
    for (const key in request.agentTags) {
      const folded = key.toLowerCase();
      if (overlay.folded.has(folded) || hostTags[folded] !== undefined) continue;
      tags[key] = request.agentTags[key]!;
    }
    for (const key in hostTags) {
      if (!overlay.folded.has(key)) tags[key] = hostTags[key]!;
    }
    return Object.assign(tags, overlay.tags);
  }

  /** Number of cached overlays, for the benchmark and tests. */
  get cachedOverlays(): number {
    return this.overlays.size;
  }

  private overlayFor(request: TagRequest): Overlay {
    const claims = this.claimsOf(request.principal);
    const key = `${request.agentId}\u0000${request.host?.hostname ?? ''}\u0000${request.ip}\u0000${claims.key}`;
    let overlay = this.overlays.get(key);
    if (overlay) return overlay;

    const tags: Record<string, string> = {};
    const address = parseAddress(request.ip);
    for (const rule of this.config.rules) {
      if (matches(rule, request, address)) assignShadowing(tags, rule.tags);
    }
    assignShadowing(tags, claims.tags);
    overlay = { tags, folded: new Set(Object.keys(tags).map((tag) => tag.toLowerCase())) };

    if (this.overlays.size >= this.cacheSize) this.overlays.delete(this.overlays.keys().next().value!);
    this.overlays.set(key, overlay);
    return overlay;
  }

  /**
   * Checks the token's tags against the batch format's tag rules, once per
   * token, and returns them with `agent_group` and the cache key part. Only
   * the `credentials create --tag` command checks tags, not createCredential
   * or the credential store, so an invalid tag is logged and left out.
   */
  private claimsOf(principal: TagRequest['principal']): { key: string; tags: Record<string, string> } {
    let claims = this.claims.get(principal);
    if (claims) return claims;

    const tags: Record<string, string> = {};
    for (const [key, value] of Object.entries(principal.tags)) {
      const issue = key === AGENT_GROUP_TAG ? undefined : tagIssue(key, value);
      if (issue === undefined) {
        tags[key] = value;
        continue;
      }
      const skipped = this.invalidClaimLog.record();
      if (skipped !== undefined) {
        this.options.logger.warn({ clientId: principal.clientId, agentId: principal.agentId, tag: key, issue, skipped }, 'left out an invalid tag of an access token; recreate the credentials with valid --tag names');
      }
    }
    tags[AGENT_GROUP_TAG] = principal.group;

    claims = { key: `${principal.group}\u0000${JSON.stringify(tags)}`, tags };
    this.claims.set(principal, claims);
    return claims;
  }
}

function matches(rule: TaggingRule, request: TagRequest, address: AddressWords | undefined): boolean {
  if (rule.agentId && !rule.agentId.test(request.agentId)) return false;
  if (rule.hostname) {
    const hostname = request.host?.hostname;
    if (hostname === undefined || !rule.hostname.test(hostname)) return false;
  }
  if (rule.ip && !rule.ip.contains(address)) return false;
  return true;
}

/** Returns the host facts as tags, keyed by the lower-case tag names of HOST_FACT_TAGS. */
function hostFactTags(host: HostFacts | undefined): Record<string, string> {
  // No prototype, so that looking up an agent tag such as `constructor` finds nothing.
  const tags: Record<string, string> = Object.create(null) as Record<string, string>;
  if (!host) return tags;
  for (const [field, tag] of HOST_FACT_TAGS) {
    const value = host[field];
    if (value !== undefined) tags[tag] = value;
  }
  return tags;
}

/** Copies `source` into `target`, first removing any key of `target` that differs from a copied key only in case. */
function assignShadowing(target: Record<string, string>, source: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(source)) {
    const folded = key.toLowerCase();
    for (const existing of Object.keys(target)) {
      if (existing !== key && existing.toLowerCase() === folded) delete target[existing];
    }
    target[key] = value;
  }
}
