import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Test } from 'tap';

/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1 that keeps
 * every message it receives. STARTTLS is disabled and AUTH allowed without
 * TLS, so tests need no certificate. `credentials` makes AUTH required.
 */
export interface SmtpCapture {
  port: number;
  messages: CapturedMail[];
  /** Every AUTH attempt, in order, with whether it succeeded. */
  logins: Array<{ user: string; ok: boolean }>;
  /** SMTP replies for the next messages' DATA, in order, in place of accepting them. */
  rejectData: Array<{ code: number; text: string }>;
}

export interface CapturedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  /** The whole message as received: headers, blank line, body. */
  raw: string;
  /** The authenticated user, when there was one. */
  user?: string;
}

export async function startSmtpCapture(t: Test, credentials?: { user: string; password: string }): Promise<SmtpCapture> {
  const capture: Omit<SmtpCapture, 'port'> = { messages: [], logins: [], rejectData: [] };

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: credentials === undefined,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      const ok = credentials !== undefined && auth.username === credentials.user && auth.password === credentials.password;
      capture.logins.push({ user: auth.username ?? '', ok });
      if (!ok) return callback(new Error('Invalid username or password'));
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const rejection = capture.rejectData.shift();
        if (rejection) {
          const error = Object.assign(new Error(rejection.text), { responseCode: rejection.code });
          return callback(error);
        }
        const mail: CapturedMail = {
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          envelopeTo: session.envelope.rcptTo.map((recipient) => recipient.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        };
        if (typeof session.user === 'string') mail.user = session.user;
        capture.messages.push(mail);
        callback();
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.server.address() as AddressInfo;
  return { ...capture, port };
}

/** A MIME entity: headers by lower-case name, and the decoded body or its parts. */
export interface MimeEntity {
  headers: Map<string, string[]>;
  /** Returns the first value of a header, with encoded words decoded. */
  header(name: string): string | undefined;
  /**
   * The body decoded from its Content-Transfer-Encoding as UTF-8, with the
   * CRLF line breaks of SMTP turned into LF. It is empty for a multipart entity.
   */
  body: string;
  parts: MimeEntity[];
}

/**
 * Parses a message well enough to check what nodemailer sends: unfolded
 * headers, RFC 2047 encoded words, multipart bodies, and quoted-printable,
 * base64 or 7bit/8bit parts. Not a general MIME parser.
 */
export function parseMime(raw: string): MimeEntity {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const content = split < 0 ? '' : raw.slice(split + 4);

  const headers = new Map<string, string[]>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  const header = (name: string): string | undefined => {
    const value = headers.get(name.toLowerCase())?.[0];
    return value === undefined ? undefined : decodeEncodedWords(value);
  };

  const contentType = header('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (contentType.toLowerCase().startsWith('multipart/') && boundary) {
    const sections = content.split(`--${boundary}`);
    // sections[0] is the preamble, and the last section starts with "--" and is the epilogue.
    const parts = sections
      .slice(1)
      .filter((section) => !section.startsWith('--'))
      .map((section) => parseMime(section.replace(/^\r\n/, '').replace(/\r\n$/, '')));
    return { headers, header, body: '', parts };
  }

  const body = decodeBody(content, header('content-transfer-encoding') ?? '7bit').replace(/\r\n/g, '\n');
  return { headers, header, body, parts: [] };
}

function decodeBody(content: string, encoding: string): string {
  switch (encoding.toLowerCase()) {
    case 'base64':
      return Buffer.from(content.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable':
      return decodeQuotedPrintable(content);
    default:
      return content;
  }
}

function decodeQuotedPrintable(content: string): string {
  const softBreaksRemoved = content.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let index = 0; index < softBreaksRemoved.length; index++) {
    const character = softBreaksRemoved[index]!;
    const hex = softBreaksRemoved.slice(index + 1, index + 3);
    if (character === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else {
      bytes.push(...Buffer.from(character, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Decodes RFC 2047 encoded words, dropping the whitespace between two adjacent ones as RFC 2047 requires. */
function decodeEncodedWords(value: string): string {
  const joined = value.replace(/\?=\s+=\?/g, '?==?');
  return joined.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, _charset: string, encoding: string, text: string) => {
    if (encoding.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
    return decodeQuotedPrintable(text.replace(/_/g, ' '));
  });
}
