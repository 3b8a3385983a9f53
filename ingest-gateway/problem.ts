import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { FieldIssue } from '../pipeline/messages/validation.js';

/** The JSON body of every error response: a stable code, a sentence, and the failing fields when known. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    issues?: FieldIssue[];
  };
}

export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  issues?: FieldIssue[],
): Response {
  const body: ErrorBody = { error: { code, message, ...(issues ? { issues } : {}) } };
  return c.json(body, status);
}
