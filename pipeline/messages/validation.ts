import { nearestName } from '../config/nearest-name.js';

/**
 * One problem found in an input document: the path of the field that failed
 * (`samples[3].value`), what was expected, and what was found.
 */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Raised when a document fails validation; carries every issue found. */
export class ValidationError extends Error {
  constructor(
    readonly subject: string,
    readonly issues: FieldIssue[],
  ) {
    super(`invalid ${subject}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`);
    this.name = 'ValidationError';
  }
}

/** Renders a found value for an error message, short and unambiguous. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}…` : JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Returns the message of an unknown key: the nearest known key as a suggestion, or the list of known keys. */
export function unknownKeyMessage(key: string, known: ReadonlySet<string>): string {
  const suggestion = nearestName(key, known);
  return suggestion === undefined ? `unknown key; the keys are ${[...known].join(', ')}` : `unknown key; did you mean '${suggestion}'?`;
}
