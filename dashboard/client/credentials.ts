/**
 * Parsing and messages for the sign-in form: the credentials line of
 * `<data_dir>/operator-credentials.txt`, and the messages shown to the
 * person signing in. Pure functions, tested without a browser.
 */

/** Client credentials read from a pasted line. A field is absent when the line has no value for it. */
export interface PastedCredentials {
  clientId?: string;
  clientSecret?: string;
}

/**
 * Splits a pasted credentials line, the URL-encoded form body
 * `client_id=…&client_secret=…` that `npm start` writes to
 * `<data_dir>/operator-credentials.txt`. Returns undefined for text that is
 * not such a line, such as a plain client id.
 *
 * ```ts
 * parseCredentialsLine('client_id=fpc_1&client_secret=s%2Bx'); // { clientId: 'fpc_1', clientSecret: 's+x' }
 * ```
 */
export function parseCredentialsLine(text: string): PastedCredentials | undefined {
  const line = text.trim();
  if (!/(^|&)client_(id|secret)=/.test(line)) return undefined;

  const form = new URLSearchParams(line);
  const clientId = form.get('client_id')?.trim();
  const clientSecret = form.get('client_secret') ?? undefined;
  const pasted: PastedCredentials = {};
  if (clientId) pasted.clientId = clientId;
  if (clientSecret) pasted.clientSecret = clientSecret;
  return pasted;
}

/** Details of a failed token request: the HTTP status (0 when the gateway was not reached) and the OAuth error body, if any. */
export interface SignInFailure {
  status: number;
  error?: string;
  description?: string;
}

/** Command that creates credentials that the dashboard accepts. */
export const CREATE_CREDENTIALS_COMMAND = 'fleetpulse credentials create --client NAME --scope read';

/**
 * Returns a message that a person can act on for a failed sign-in. The
 * gateway's own wording is kept only for failures without a known cause.
 */
export function signInFailureMessage(failure: SignInFailure): string {
  if (failure.status === 0) return 'The gateway could not be reached. Check that fleetpulse is running and try again.';
  if (failure.status === 401 || failure.error === 'invalid_client') {
    return 'The client id or secret was not accepted. Check both, or paste the whole line of operator-credentials.txt into Client id. Revoked credentials stop working.';
  }
  if (failure.error === 'invalid_scope') return `These credentials lack the read scope. Create credentials with ${CREATE_CREDENTIALS_COMMAND}.`;
  if (failure.status === 429) return 'Too many sign-in attempts from this address. Wait a minute and try again.';
  const reason = failure.description ? `: ${failure.description}` : '';
  return `Sign-in failed (HTTP ${failure.status})${reason}.`;
}

/**
 * Returns the message for a 401 response from the API. It is empty when the
 * page sent no token, because the person has simply not signed in yet.
 */
export function unauthorizedMessage(tokenSent: boolean): string {
  return tokenSent ? 'Your session has expired or its credentials were revoked. Sign in again.' : '';
}
