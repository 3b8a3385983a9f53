import type { SignInFailure } from '../client/credentials.js';

/**
 * The operator's access token. The page obtains it at POST /oauth/token with
 * the client credentials grant and the `read` scope, and keeps it in
 * sessionStorage, which is per tab and cleared when the tab closes. The token
 * is sent in the Authorization header, or for the WebSocket as the
 * `bearer.<token>` subprotocol, and never in a URL. The client
 * secret is used for the one request and not kept.
 */

const STORAGE_KEY = 'fleetpulse.dashboard.token';

/** Error for a 401 response from the API, so the page must sign in. `tokenSent` is false when the page had no token yet. */
export class UnauthorizedError extends Error {
  constructor(
    message: string,
    readonly tokenSent: boolean,
  ) {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

/** Error for a POST /oauth/token that issued no token. `failure` contains the status and the OAuth error body. */
export class SignInError extends Error {
  constructor(readonly failure: SignInFailure) {
    super(`sign-in failed: ${failure.description ?? failure.error ?? `status ${failure.status}`}`);
    this.name = 'SignInError';
  }
}

/** Error for any other failed request. `status` is 0 when the request did not reach the server. */
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

  /** Current token, or undefined once it has expired (which also signs the page out). */
  get token(): string | undefined {
    if (this.stored && this.stored.expiresAt <= Date.now()) this.signOut();
    return this.stored?.token;
  }

  /** Requests a token and stores it. Throws SignInError when the gateway cannot be reached or issues no token. */
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
    // The token counts as expired 5 s early, so that a request does not race the expiry.
    this.stored = { token: payload.access_token, expiresAt: Date.now() + lifetimeSeconds * 1_000 - 5_000 };
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.stored));
  }

  signOut(): void {
    this.stored = undefined;
    sessionStorage.removeItem(STORAGE_KEY);
  }

  /**
   * Fetches JSON from the API with the token. Throws UnauthorizedError on 401,
   * after signing out, and RequestError on other failures.
   */
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

/** Returns the message of a JSON error body (`{"error": {"message"}}`), or else the status line. */
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
