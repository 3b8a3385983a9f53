import type { Test } from 'tap';
import { type ReceivedRequest, type ScriptedResponse, sendScripted, startLoopbackServer } from './loopback-server.js';

/**
 * A loopback imitation of the Telegram Bot API's `sendMessage` in HTML parse
 * mode. It responds as the Bot API does (`{ ok, error_code, description }`
 * with the same HTTP status) and rejects what the documented formatting
 * rules reject:
 *
 * - a `<`, `>` or `&` that is not part of a supported tag or entity
 *   (`Bad Request: can't parse entities: …`, with a UTF-8 byte offset)
 * - tags other than the supported ones, attributes they do not take, end
 *   tags that do not match, and tags left open
 * - entities other than `&lt;`, `&gt;`, `&amp;`, `&quot;` and numeric ones
 * - text longer than 4096 characters after entity parsing, counted in UTF-16
 *   code units (Telegram's entity offset unit), or empty text.
 *
 * It is stricter than Telegram where the Bot API is lenient: unknown request
 * fields are rejected, so that a misspelt field fails a test instead of
 * being ignored.
 */
export interface TelegramImitation {
  /** The value for the receiver's `api_url`. */
  apiUrl: string;
  requests: ReceivedRequest[];
  /** Messages accepted with ok: the request and the text after entity parsing. */
  accepted: Array<{ request: Record<string, unknown>; text: string; entities: ParsedEntity[] }>;
  rejections: string[];
  /** Responses sent to the next requests, in order, before any checks run. */
  script: ScriptedResponse[];
}

export interface ParsedEntity {
  type: string;
  /** UTF-16 offset into the parsed text. */
  offset: number;
  length: number;
}

export const TELEGRAM_TOKEN = '123456789:AAFleetPulseS3cr3tBotTokenValue_x-y';
export const TELEGRAM_CHAT_ID = -1001234567890;

/** Builds a scripted 429 as the Bot API sends it: the wait in the body, no Retry-After header. */
export const tooManyRequests = (retryAfterSeconds: number): ScriptedResponse => ({
  status: 429,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfterSeconds}`, parameters: { retry_after: retryAfterSeconds } }),
});

export async function startTelegramImitation(t: Test, chatId: number | string = TELEGRAM_CHAT_ID): Promise<TelegramImitation> {
  const imitation = { accepted: [] as TelegramImitation['accepted'], rejections: [] as string[], script: [] as ScriptedResponse[] };
  const server = await startLoopbackServer(t, (request, response) => {
    const scripted = imitation.script.shift();
    if (scripted) return sendScripted(response, scripted);

    const sendError = (status: number, description: string): void => {
      if (status !== 200) imitation.rejections.push(description);
      sendScripted(response, { status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ok: false, error_code: status, description }) });
    };

    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(request.url);
    if (!match) return sendError(404, 'Not Found');
    if (match[1] !== TELEGRAM_TOKEN) return sendError(401, 'Unauthorized');
    if (match[2] !== 'sendMessage') return sendError(404, 'Not Found: method not found');
    if (request.method !== 'POST') return sendError(400, 'Bad Request: this imitation takes POST only');
    if (!String(request.headers['content-type']).startsWith('application/json')) return sendError(400, 'Bad Request: this imitation takes JSON only');

    let body: Record<string, unknown>;
    try {
      body = JSON.parse(request.body) as Record<string, unknown>;
    } catch {
      return sendError(400, 'Bad Request: request body is not JSON');
    }
    const fieldError = checkFields(body, chatId);
    if (fieldError) return sendError(400, `Bad Request: ${fieldError}`);

    const parsed = parseTelegramHtml(body.text as string);
    if ('error' in parsed) return sendError(400, `Bad Request: can't parse entities: ${parsed.error}`);
    if (parsed.text.trim().length === 0) return sendError(400, 'Bad Request: message text is empty');
    if (parsed.text.length > 4_096) return sendError(400, 'Bad Request: message is too long');

    imitation.accepted.push({ request: body, text: parsed.text, entities: parsed.entities });
    sendScripted(response, {
      status: 200,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ok: true, result: { message_id: imitation.accepted.length, date: 1_772_366_400, chat: { id: chatId }, text: parsed.text } }),
    });
  });
  return { ...imitation, apiUrl: server.origin, requests: server.requests };
}

const FIELDS = new Set(['chat_id', 'text', 'parse_mode', 'link_preview_options', 'disable_notification', 'message_thread_id']);

function checkFields(body: Record<string, unknown>, chatId: number | string): string | undefined {
  const unknown = Object.keys(body).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) return `unexpected fields ${unknown.join(', ')}`;
  if (body.chat_id === undefined) return 'chat_id is empty';
  if (body.chat_id !== chatId) return 'chat not found';
  if (typeof body.text !== 'string') return 'message text is empty';
  if (body.parse_mode !== 'HTML') return `unsupported parse_mode ${String(body.parse_mode)}; this imitation parses HTML only`;
  if (body.disable_notification !== undefined && typeof body.disable_notification !== 'boolean') return 'disable_notification must be a boolean';
  if (body.message_thread_id !== undefined && !Number.isInteger(body.message_thread_id)) return 'message thread not found';
  const preview = body.link_preview_options;
  if (preview !== undefined && (typeof preview !== 'object' || preview === null || Object.keys(preview).some((key) => key !== 'is_disabled'))) {
    return 'link_preview_options has unexpected fields';
  }
  return undefined;
}

/** Tags of the HTML style and the attributes each may take. */
const TAGS: Record<string, readonly string[]> = {
  b: [],
  strong: [],
  i: [],
  em: [],
  u: [],
  ins: [],
  s: [],
  strike: [],
  del: [],
  'tg-spoiler': [],
  span: ['class'],
  a: ['href'],
  'tg-emoji': ['emoji-id'],
  code: ['class'],
  pre: [],
  blockquote: ['expandable'],
};

/** Tags whose content is shown verbatim and may contain no other entity. */
const VERBATIM = new Set(['code', 'pre']);

/**
 * Parses Bot API HTML into text and entities, or returns the reason Telegram
 * gives for rejecting it. Byte offsets in errors count UTF-8 bytes, as
 * Telegram's do.
 */
export function parseTelegramHtml(html: string): { text: string; entities: ParsedEntity[] } | { error: string } {
  let text = '';
  const entities: ParsedEntity[] = [];
  const open: Array<{ name: string; offset: number }> = [];
  const byteOffset = (index: number): number => Buffer.byteLength(html.slice(0, index), 'utf8');

  let index = 0;
  while (index < html.length) {
    const character = html[index]!;

    if (character === '<') {
      const end = html.indexOf('>', index);
      if (end < 0) return { error: `Unclosed start tag at byte offset ${byteOffset(index)}` };
      const inner = html.slice(index + 1, end);

      if (inner.startsWith('/')) {
        const name = inner.slice(1).trim().toLowerCase();
        const top = open.pop();
        if (!top) return { error: `Unexpected end tag at byte offset ${byteOffset(index)}` };
        if (top.name !== name) return { error: `Unmatched end tag at byte offset ${byteOffset(index)}, expected "</${top.name}>", found "</${name}>"` };
        entities.push({ type: name, offset: top.offset, length: text.length - top.offset });
      } else {
        const tag = /^([a-z][a-z0-9-]*)((?:\s+[a-z-]+(?:="[^"<>]*")?)*)\s*$/i.exec(inner);
        const name = tag?.[1]?.toLowerCase();
        if (!tag || !name || !(name in TAGS)) {
          return { error: `Unsupported start tag "${inner.split(/\s/)[0]}" at byte offset ${byteOffset(index)}` };
        }
        const attributes = [...tag[2]!.matchAll(/([a-z-]+)(?:="([^"]*)")?/gi)].map((attribute) => attribute[1]!.toLowerCase());
        const unsupported = attributes.find((attribute) => !TAGS[name]!.includes(attribute));
        if (unsupported) return { error: `Tag "${name}" has unsupported attribute "${unsupported}" at byte offset ${byteOffset(index)}` };
        if (name === 'span' && !/class="tg-spoiler"/.test(inner)) return { error: `Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(index)}` };
        const parent = open.at(-1);
        if (parent && VERBATIM.has(parent.name) && !(parent.name === 'pre' && name === 'code')) {
          return { error: `Entity "${parent.name}" can't contain "${name}" at byte offset ${byteOffset(index)}` };
        }
        open.push({ name, offset: text.length });
      }
      index = end + 1;
      continue;
    }

    if (character === '&') {
      const entity = /^&(lt|gt|amp|quot|#(\d{1,7})|#x([0-9a-f]{1,6}));/i.exec(html.slice(index, index + 12));
      if (!entity) return { error: `Character '&' at byte offset ${byteOffset(index)} is not the start of an entity; send it as &amp;` };
      const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };
      if (entity[2]) text += String.fromCodePoint(Number(entity[2]));
      else if (entity[3]) text += String.fromCodePoint(Number.parseInt(entity[3], 16));
      else text += named[entity[1]!.toLowerCase()]!;
      index += entity[0].length;
      continue;
    }

    if (character === '>') return { error: `Character '>' at byte offset ${byteOffset(index)} must be sent as &gt;` };

    text += character;
    index += 1;
  }

  const unclosed = open.pop();
  if (unclosed) return { error: `Can't find end tag corresponding to start tag "${unclosed.name}"` };
  return { text, entities };
}
