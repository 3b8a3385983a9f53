import nodemailer, { type Transporter } from 'nodemailer';
import { DeliveryError } from '../channel.js';
import { quote } from '../http.js';
import type { EmailMessage } from './encode.js';

export interface EmailTransportOptions {
  host: string;
  port: number;
  secure: boolean;
  requireTls: boolean;
  /** Resolved credentials. The password is a secret. */
  auth?: { user: string; password: string };
  from: string;
  to: readonly string[];
  cc: readonly string[];
  timeoutMs: number;
  receiver: string;
}

/** nodemailer error codes for failures that another attempt may not repeat: the network or the server was unavailable. */
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS']);

/**
 * Sends one email per call through nodemailer's SMTP transport, one
 * connection per message. nodemailer's own logger stays off, because at
 * debug level it writes the SMTP conversation, AUTH included.
 *
 * A 4xx SMTP reply (RFC 5321 "transient negative completion", such as 421,
 * 450 or 451) and network failures are retryable. A 5xx reply (550 mailbox
 * unavailable, 535 authentication failed) is not.
 */
export class EmailTransport {
  private readonly transporter: Transporter;
  private readonly target: string;

  constructor(private readonly options: EmailTransportOptions) {
    this.target = `email ${options.receiver} (smtp ${options.host}:${options.port})`;
    this.transporter = nodemailer.createTransport({
      host: options.host,
      port: options.port,
      secure: options.secure,
      requireTLS: options.requireTls,
      auth: options.auth ? { user: options.auth.user, pass: options.auth.password } : undefined,
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      logger: false,
      debug: false,
      // Messages are built from alert text only, never from files or URLs.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  async send(message: EmailMessage): Promise<void> {
    try {
      await this.transporter.sendMail({
        from: this.options.from,
        to: [...this.options.to],
        cc: this.options.cc.length > 0 ? [...this.options.cc] : undefined,
        subject: message.subject,
        text: message.text,
        html: message.html,
        messageId: message.messageId,
        references: message.references,
        headers: message.headers,
      });
    } catch (error) {
      throw this.deliveryError(error);
    }
  }

  /**
   * Builds the error from nodemailer's code, reply code and message only. The
   * nodemailer error is not kept as the cause, because its fields contain the
   * SMTP command that failed.
   */
  private deliveryError(error: unknown): DeliveryError {
    const failure = error as { code?: string; responseCode?: number; message?: string };
    const secrets = this.options.auth ? [this.options.auth.password] : [];
    const detail = quote(failure.message ?? String(error), secrets);
    const message = `${this.target} failed${failure.code ? ` (${failure.code})` : ''}: ${detail}`;

    const responseCode = failure.responseCode;
    if (typeof responseCode === 'number' && responseCode >= 400 && responseCode < 600) {
      return new DeliveryError(message, responseCode < 500);
    }
    return new DeliveryError(message, failure.code !== undefined && TRANSIENT_CODES.has(failure.code));
  }
}
