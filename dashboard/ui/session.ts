import type { SignInFailure } from '../client/credentials.js';

/**
 * The operator's access token: obtained at POST /oauth/token with the client
 * credentials grant and the `read` scope, kept in sessionStorage (one tab,
 * gone when it closes) and sent in the Authorization header or, for the
 * WebSocket, as the `bearer.<token>` subprotocol. Never in a URL. The client
 * secret is used for the one request and not kept.
 */

const STORAGE_KEY = 'fleetpulse.dashboard.token';

/** The API answered 401: the page needs to sign in. `tokenSent` is false when the page had no token yet. */
export class UnauthorizedError extends Error {
  constructor(
    message: string,
    readonly tokenSent: boolean,
  ) {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

/** POST /oauth/token did not issue a token; `failure` has the status and the OAuth error body. */
export class SignInError extends Error {
  constructor(readonly failure: SignInFailure) {
    super(`sign-in failed: ${failure.description ?? failure.error ?? `status ${failure.status}`}`);
    this.name = 'SignInError';
  }
}

/** Any other failed request; `status` is 0 when the request did not reach the server. */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

interface StoredToken {
  token: string;
  /** Page time at which the token expires, ms since the Unix epoch. */
  expiresAt: number;
}

export class Session {
  private stored: StoredToken | undefined = readStored();

  /** The current token, unless it expired. */
  get token(): string | undefined {
    if (this.stored && this.stored.expiresAt <= Date.now()) this.signOut();
    return this.stored?.token;
  }

  /** Requests a token; throws SignInError when the gateway cannot be reached or issues no token. */
  async signIn(clientId: string, clientSecret: string): Promise<void> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'read' });
    let response: Response;
    try {
      // The endpoint rejects a wrong secret with 401 and `WWW-Authenticate: Basic`. Without credentials: 'omit',
      // Chromium shows its own Basic sign-in dialog for that response, and the fetch waits on the dialog.
      response = await fetch('/oauth/token', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body, cache: 'no-store', credentials: 'omit' });
    } catch {
      throw new SignInError({ status: 0 });
    }
    const payload = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown };
    if (!response.ok || typeof payload.access_token !== 'string') {
      const failure: SignInFailure = { status: response.status };
      if (typeof payload.error === 'string') failure.error = payload.error;
      if (typeof payload.error_description === 'string') failure.description = payload.error_description;
      throw new SignInError(failure);
    }

    const lifetimeSeconds = typeof payload.expires_in === 'number' ? payload.expires_in : 900;
    // Renew a little early, so that a request does not race the expiry.
    this.stored = { token: payload.access_token, expiresAt: Date.now() + lifetimeSeconds * 1_000 - 5_000 };
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.stored));
  }

  signOut(): void {
    this.stored = undefined;
    sessionStorage.removeItem(STORAGE_KEY);
  }

  /** GETs JSON from the API with the token; throws UnauthorizedError on 401 and RequestError on other failures. */
  async getJson(url: string): Promise<unknown> {
    const token = this.token;
    let response: Response;
    try {
      response = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {}, cache: 'no-store' });
    } catch {
      throw new RequestError(`${url} could not be reached`, 0);
    }
    if (response.status === 401) {
      this.signOut();
      throw new UnauthorizedError(await errorMessage(response), token !== undefined);
    }
    if (!response.ok) throw new RequestError(await errorMessage(response), response.status);
    return response.json();
  }
}

/** The message of a JSON error body (`{"error": {"message"}}`), or the status line. */
async function errorMessage(response: Response): Promise<string> {
  const body = (await response.json().catch(() => undefined)) as { error?: { message?: unknown } } | undefined;
  const message = body?.error?.message;
  return typeof message === 'string' ? message : `${response.status} ${response.statusText}`;
}

function readStored(): StoredToken | undefined {
  try {
    const parsed = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as StoredToken | null;
    return parsed && typeof parsed.token === 'string' && typeof parsed.expiresAt === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
