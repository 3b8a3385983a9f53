import { z } from 'zod';
import { describeValue, isPlainObject } from '../../pipeline/messages/validation.js';
import { tagIssue } from '../../pipeline/messages/metric-batch.js';
import { type Cidr, CidrError, CidrSet, parseCidr } from './cidr.js';

/** Tag that carries the access token's agent group. Only the token sets it. */
export const AGENT_GROUP_TAG = 'agent_group';

/** Compiled entry of `gateway.tagging.rules`. A rule matches when all of its conditions hold. */
export interface TaggingRule {
  /** Position in `gateway.tagging.rules`, for logs. */
  index: number;
  /** Matches the whole agent id. */
  agentId?: RegExp;
  /** Matches the whole hostname that the agent reports. An agent that reports no hostname never matches. */
  hostname?: RegExp;
  /** Networks, one of which must contain the connection's peer address. */
  ip?: CidrSet;
  tags: Readonly<Record<string, string>>;
}

export interface TaggingConfig {
  rules: TaggingRule[];
}

/**
 * A JavaScript regular expression that must match the whole value, like
 * the router's `=~` matchers: `web-.*` matches `web-1`, not `old-web-1`.
 */
const anchoredRegex = (field: string, example: string) =>
  z.unknown().transform((text, context): RegExp => {
    if (typeof text !== 'string' || text.length === 0) {
      context.addIssue({ code: 'custom', message: `expected a regular expression that matches the whole ${field}, such as ${example}, found ${describeValue(text)}` });
      return z.NEVER;
    }
    try {
      return new RegExp(`^(?:${text})$`, 'u');
    } catch (error) {
      // V8's message repeats the whole pattern, anchors included, before the reason.
      const reason = (error as Error).message.split(': ').at(-1);
      context.addIssue({
        code: 'custom',
        message: `invalid regular expression ${JSON.stringify(text)}: ${reason}; write a JavaScript regular expression that matches the whole ${field}, such as ${example}`,
      });
      return z.NEVER;
    }
  });

/**
 * Schema of `match.ip`: one network or a list of them. A peer address in any
 * of them matches. It is one transform rather than a union, so that the
 * message names the invalid network.
 */
const networks = z.unknown().transform((value, context): CidrSet => {
  const texts = Array.isArray(value) ? value : [value];
  if (texts.length === 0) {
    context.addIssue({ code: 'custom', message: 'expected a network such as 10.0.0.0/8, or a list of them, found an empty list' });
    return z.NEVER;
  }

  const parsed: Cidr[] = [];
  texts.forEach((text, index) => {
    const path = Array.isArray(value) ? [index] : [];
    if (typeof text !== 'string') {
      context.addIssue({ code: 'custom', path, message: `expected a network such as 10.0.0.0/8 or fd00::/8, found ${describeValue(text)}` });
      return;
    }
    try {
      parsed.push(parseCidr(text.trim()));
    } catch (error) {
      if (!(error instanceof CidrError)) throw error;
      context.addIssue({ code: 'custom', path, message: `invalid CIDR ${JSON.stringify(text)}: ${error.message}` });
    }
  });
  return parsed.length === texts.length ? new CidrSet(parsed) : z.NEVER;
});

const MATCH_KEYS = ['agent_id', 'hostname', 'ip'] as const;

const matchSchema = z
  .strictObject({
    agent_id: anchoredRegex('agent id', 'web-.*').optional(),
    hostname: anchoredRegex('hostname', '.*\\.fra\\.example\\.com').optional(),
    ip: networks.optional(),
  })
  .superRefine((match, context) => {
    if (MATCH_KEYS.every((key) => match[key] === undefined)) {
      context.addIssue({ code: 'custom', message: "must set at least one of agent_id, hostname and ip; to tag every agent, match agent_id: '.*'" });
    }
  });

const tagsSchema = z.unknown().transform((value, context): Record<string, string> => {
  if (!isPlainObject(value)) {
    context.addIssue({ code: 'custom', message: `expected a mapping of tag names to values, such as { dc: fra }, found ${describeValue(value)}` });
    return z.NEVER;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) {
    context.addIssue({ code: 'custom', message: 'must set at least one tag, such as { dc: fra }; a rule without tags changes nothing' });
    return z.NEVER;
  }

  for (const key of keys) {
    const issue = key === AGENT_GROUP_TAG ? `${AGENT_GROUP_TAG} is always the access token's group, so a rule cannot set it; give the credentials a group with fleetpulse credentials create --group` : tagIssue(key, value[key]);
    if (issue !== undefined) context.addIssue({ code: 'custom', path: [key], message: `tag ${JSON.stringify(key)} = ${describeValue(value[key])}: ${issue}` });
  }
  return value as Record<string, string>;
});

const ruleSchema = z.strictObject({
  /** Conditions on the agent. A rule applies when all of them hold. */
  match: z.unknown().pipe(
    z.custom<unknown>((value) => value !== undefined, { message: 'missing; expected conditions such as { agent_id: web-.* } or { ip: 10.20.0.0/16 }' }).pipe(matchSchema),
  ),
  tags: tagsSchema,
});

/**
 * `gateway.tagging`: server-side tags for the agents that a rule matches,
 * compiled once when the configuration loads. Every matching rule applies,
 * in order, so a later rule wins on the same tag. docs/tagging.md describes
 * the precedence of tag sources.
 *
 * ```yaml
 * tagging:
 *   rules:
 *     - match: { ip: [10.20.0.0/16, fd00:20::/32] }
 *       tags: { dc: fra }
 *     - match: { agent_id: 'db-.*', hostname: '.*\.prod\.example\.com' }
 *       tags: { role: db, env: prod }
 * ```
 */
export const taggingConfigSchema = z
  .strictObject({
    rules: z.array(ruleSchema).default([]),
  })
  .transform(
    (tagging): TaggingConfig => ({
      rules: tagging.rules.map((rule, index) => ({
        index,
        ...(rule.match.agent_id && { agentId: rule.match.agent_id }),
        ...(rule.match.hostname && { hostname: rule.match.hostname }),
        ...(rule.match.ip && { ip: rule.match.ip }),
        tags: rule.tags,
      })),
    }),
  )
  .prefault({});
