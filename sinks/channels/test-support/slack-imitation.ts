import type { Test } from 'tap';
import { type ReceivedRequest, type ScriptedResponse, sendScripted, startLoopbackServer } from './loopback-server.js';

/**
 * A loopback imitation of a Slack incoming webhook that checks payloads
 * against the documented Block Kit limits for messages and responds as
 * Slack does: 200 `ok`, or 400 with a bare error code such as
 * `invalid_blocks`.
 *
 * It is stricter than Slack in three ways, so that a payload it accepts is
 * one Slack accepts. Text lengths are counted in UTF-16 code units, at
 * least Slack's character count. Unknown keys are rejected. Only the block
 * types fleetpulse sends (header, section, context, divider) are known.
 */
export interface SlackImitation {
  /** Webhook URL, whose path is the secret part. */
  url: string;
  requests: ReceivedRequest[];
  /** Payloads accepted with 200 ok. */
  accepted: SlackPayload[];
  /** Reason for each rejection, for failing tests to print. */
  rejections: string[];
  /** Responses sent to the next requests, in order, before any checks run. */
  script: ScriptedResponse[];
}

export interface SlackPayload {
  text?: string;
  blocks?: unknown[];
  attachments?: Array<{ color?: string; blocks?: unknown[] }>;
}

export const SLACK_WEBHOOK_PATH = '/services/T0FLEET/B0PULSE/s3cr3tSlackPath';

export async function startSlackImitation(t: Test): Promise<SlackImitation> {
  const imitation = { accepted: [] as SlackPayload[], rejections: [] as string[], script: [] as ScriptedResponse[] };
  const server = await startLoopbackServer(t, (request, response) => {
    const scripted = imitation.script.shift();
    if (scripted) return sendScripted(response, scripted);

    if (request.method !== 'POST' || request.url !== SLACK_WEBHOOK_PATH) {
      return sendScripted(response, { status: 404, body: 'no_service' });
    }
    const verdict = checkSlackRequest(request);
    if (verdict.error) {
      imitation.rejections.push(`${verdict.error}: ${verdict.reason}`);
      return sendScripted(response, { status: 400, headers: { 'Content-Type': 'text/plain' }, body: verdict.error });
    }
    imitation.accepted.push(verdict.payload!);
    sendScripted(response, { status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'ok' });
  });
  return { ...imitation, url: `${server.origin}${SLACK_WEBHOOK_PATH}`, requests: server.requests };
}

interface Verdict {
  payload?: SlackPayload;
  error?: 'invalid_payload' | 'no_text' | 'invalid_blocks' | 'invalid_attachments';
  reason?: string;
}

const TOP_LEVEL_KEYS = new Set(['text', 'blocks', 'attachments', 'mrkdwn', 'username', 'icon_emoji', 'icon_url', 'unfurl_links', 'unfurl_media']);
const ATTACHMENT_KEYS = new Set(['color', 'blocks', 'fallback']);
const MAX_BLOCKS = 50;

/** Checks one webhook request and returns the payload, or the error code that Slack would send. */
export function checkSlackRequest(request: ReceivedRequest): Verdict {
  if (!String(request.headers['content-type']).startsWith('application/json')) {
    return { error: 'invalid_payload', reason: `content-type ${String(request.headers['content-type'])}` };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(request.body);
  } catch {
    return { error: 'invalid_payload', reason: 'body is not JSON' };
  }
  if (!isObject(payload)) return { error: 'invalid_payload', reason: 'body is not an object' };

  const unknown = Object.keys(payload).filter((key) => !TOP_LEVEL_KEYS.has(key));
  if (unknown.length > 0) return { error: 'invalid_payload', reason: `unknown keys ${unknown.join(', ')}` };
  if (payload.text !== undefined && typeof payload.text !== 'string') return { error: 'invalid_payload', reason: 'text is not a string' };
  if (payload.text === undefined && payload.blocks === undefined && payload.attachments === undefined) return { error: 'no_text', reason: 'no text, blocks or attachments' };

  const blocks: Array<{ block: unknown; path: string }> = [];
  if (payload.blocks !== undefined) {
    if (!Array.isArray(payload.blocks)) return { error: 'invalid_blocks', reason: 'blocks is not an array' };
    payload.blocks.forEach((block, index) => blocks.push({ block, path: `/blocks/${index}` }));
  }

  if (payload.attachments !== undefined) {
    if (!Array.isArray(payload.attachments)) return { error: 'invalid_attachments', reason: 'attachments is not an array' };
    for (const [index, attachment] of payload.attachments.entries()) {
      const path = `/attachments/${index}`;
      if (!isObject(attachment)) return { error: 'invalid_attachments', reason: `${path} is not an object` };
      const extra = Object.keys(attachment).filter((key) => !ATTACHMENT_KEYS.has(key));
      if (extra.length > 0) return { error: 'invalid_attachments', reason: `${path} has unknown keys ${extra.join(', ')}` };
      if (attachment.color !== undefined && !(typeof attachment.color === 'string' && /^(#[0-9A-Fa-f]{6}|good|warning|danger)$/.test(attachment.color))) {
        return { error: 'invalid_attachments', reason: `${path}/color is not a hex colour` };
      }
      if (attachment.blocks !== undefined) {
        if (!Array.isArray(attachment.blocks)) return { error: 'invalid_blocks', reason: `${path}/blocks is not an array` };
        attachment.blocks.forEach((block, blockIndex) => blocks.push({ block, path: `${path}/blocks/${blockIndex}` }));
      }
    }
  }

  if (blocks.length > MAX_BLOCKS) return { error: 'invalid_blocks', reason: `${blocks.length} blocks, more than ${MAX_BLOCKS}` };
  const blockIds = new Set<string>();
  for (const { block, path } of blocks) {
    const reason = checkBlock(block, path, blockIds);
    if (reason) return { error: 'invalid_blocks', reason };
  }
  return { payload: payload as SlackPayload };
}

function checkBlock(block: unknown, path: string, blockIds: Set<string>): string | undefined {
  if (!isObject(block)) return `${path} is not an object`;
  if (block.block_id !== undefined) {
    if (typeof block.block_id !== 'string' || block.block_id.length > 255) return `${path}/block_id must be a string of at most 255 characters`;
    if (blockIds.has(block.block_id)) return `${path}/block_id ${block.block_id} is not unique`;
    blockIds.add(block.block_id);
  }

  switch (block.type) {
    case 'header':
      return (
        onlyKeys(block, ['type', 'block_id', 'text'], path) ??
        checkText(block.text, `${path}/text`, 150, 'plain_text')
      );
    case 'section': {
      const extra = onlyKeys(block, ['type', 'block_id', 'text', 'fields'], path);
      if (extra) return extra;
      if (block.text === undefined && block.fields === undefined) return `${path} needs text or fields`;
      if (block.text !== undefined) {
        const reason = checkText(block.text, `${path}/text`, 3_000);
        if (reason) return reason;
      }
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length === 0 || block.fields.length > 10) return `${path}/fields must have 1 to 10 items`;
        for (const [index, field] of block.fields.entries()) {
          const reason = checkText(field, `${path}/fields/${index}`, 2_000);
          if (reason) return reason;
        }
      }
      return undefined;
    }
    case 'context': {
      const extra = onlyKeys(block, ['type', 'block_id', 'elements'], path);
      if (extra) return extra;
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10) return `${path}/elements must have 1 to 10 items`;
      for (const [index, element] of block.elements.entries()) {
        const reason = checkText(element, `${path}/elements/${index}`, 3_000);
        if (reason) return reason;
      }
      return undefined;
    }
    case 'divider':
      return onlyKeys(block, ['type', 'block_id'], path);
    default:
      return `${path}/type ${String(block.type)} is not a block type this imitation knows`;
  }
}

/** Checks a text object: plain_text or mrkdwn, 1 to `max` characters, `emoji` only on plain_text, `verbatim` only on mrkdwn. */
function checkText(value: unknown, path: string, max: number, only?: 'plain_text'): string | undefined {
  if (!isObject(value)) return `${path} is not a text object`;
  if (value.type !== 'plain_text' && value.type !== 'mrkdwn') return `${path}/type must be plain_text or mrkdwn`;
  if (only && value.type !== only) return `${path}/type must be ${only}`;
  const allowed = value.type === 'plain_text' ? ['type', 'text', 'emoji'] : ['type', 'text', 'verbatim'];
  const extra = onlyKeys(value, allowed, path);
  if (extra) return extra;
  if (typeof value.text !== 'string' || value.text.length < 1) return `${path}/text must be a non-empty string`;
  if (value.text.length > max) return `${path}/text must be less than ${max + 1} characters, found ${value.text.length}`;
  if (value.emoji !== undefined && typeof value.emoji !== 'boolean') return `${path}/emoji must be a boolean`;
  if (value.verbatim !== undefined && typeof value.verbatim !== 'boolean') return `${path}/verbatim must be a boolean`;
  if (value.type === 'mrkdwn') return checkMrkdwnEscapes(value.text, `${path}/text`);
  return undefined;
}

/**
 * Checks that mrkdwn text escapes `<`, `>` and `&`. In mrkdwn, `<` opens a
 * link or mention and `&` an entity, so in user text they must be sent as
 * `&lt;`, `&gt;` and `&amp;`. fleetpulse sends no links, so any raw `<` or
 * `>`, and any `&` that starts no entity, is unescaped text.
 */
function checkMrkdwnEscapes(text: string, path: string): string | undefined {
  if (/[<>]/.test(text)) return `${path} contains an unescaped < or >`;
  if (/&(?!(amp|lt|gt);)/.test(text)) return `${path} contains an unescaped &`;
  return undefined;
}

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], path: string): string | undefined {
  const extra = Object.keys(value).filter((key) => !allowed.includes(key));
  return extra.length > 0 ? `${path} has unknown keys ${extra.join(', ')}` : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
