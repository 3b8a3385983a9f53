import { CREATE_CREDENTIALS_COMMAND, parseCredentialsLine, signInFailureMessage } from '../client/credentials.js';
import { h, setText } from './dom.js';
import { type Session, SignInError } from './session.js';

/** Kind of sign-in notice. `error`: the last attempt failed. `info`: a neutral notice, such as a session that ended. */
type NoticeKind = 'info' | 'error';

/**
 * The sign-in form, shown when the API responds with 401. It takes the client
 * id and secret of operator credentials with the `read` scope. `npm start`
 * writes such credentials to `<data_dir>/operator-credentials.txt` as one line
 * `client_id=…&client_secret=…`, and pasting that whole line into the client
 * id field fills both fields. The secret field is cleared after every attempt.
 */
export class SignInForm {
  readonly element: HTMLElement;
  private readonly clientId: HTMLInputElement;
  private readonly secret: HTMLInputElement;
  private readonly message: HTMLElement;
  private readonly submit: HTMLButtonElement;

  constructor(
    private readonly session: Session,
    private readonly onSignedIn: () => void,
  ) {
    this.clientId = h('input', { type: 'text', name: 'client_id', autocomplete: 'username', required: true, spellcheck: 'false', placeholder: 'fpc_… or the whole client_id=…&client_secret=… line' }) as HTMLInputElement;
    this.secret = h('input', { type: 'password', name: 'client_secret', autocomplete: 'current-password', required: true }) as HTMLInputElement;
    this.message = h('p', { class: 'sign-in-message', role: 'alert', 'data-kind': 'info' }) as HTMLElement;
    this.submit = h('button', { type: 'submit' }, ['Sign in']) as HTMLButtonElement;
    const hint = h('div', { class: 'sign-in-hint' }, [
      h('p', {}, ['Use operator credentials with the read scope.']),
      h('p', {}, [
        h('code', {}, ['npm start']),
        ' writes them to ',
        h('code', {}, ['data/operator-credentials.txt']),
        " (in the gateway's data_dir). Paste that file's whole line into Client id to fill both fields.",
      ]),
      h('p', {}, ['To create other credentials: ', h('code', {}, [CREATE_CREDENTIALS_COMMAND])]),
    ]);
    const form = h('form', { class: 'sign-in-form', 'aria-label': 'sign in' }, [
      h('h2', {}, ['Sign in to the fleetpulse dashboard']),
      hint,
      h('label', {}, ['Client id', this.clientId]),
      h('label', {}, ['Client secret', this.secret]),
      this.submit,
      this.message,
    ]);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.attempt();
    });

    // A pasted credentials line is split before it lands in the visible field, so the secret never shows.
    this.clientId.addEventListener('paste', (event) => {
      const text = event.clipboardData?.getData('text') ?? '';
      if (this.fillFromLine(text)) event.preventDefault();
    });
    // Typed, dropped or autofilled lines arrive as input events.
    this.clientId.addEventListener('input', () => this.fillFromLine(this.clientId.value));
    this.element = h('div', { class: 'sign-in', hidden: true }, [form]) as HTMLElement;
  }

  /** Shows the form with a neutral notice. An empty notice shows none. */
  show(notice: string): void {
    this.setNotice(notice, 'info');
    this.element.hidden = false;
    (this.clientId.value === '' ? this.clientId : this.secret).focus();
  }

  hide(): void {
    this.element.hidden = true;
  }

  /** Fills both fields from a credentials line. Returns false for text that is not such a line. */
  private fillFromLine(text: string): boolean {
    const pasted = parseCredentialsLine(text);
    if (!pasted) return false;

    this.clientId.value = pasted.clientId ?? '';
    if (pasted.clientSecret !== undefined) this.secret.value = pasted.clientSecret;
    if (pasted.clientId === undefined) {
      this.setNotice('The pasted line has no client_id value. Copy the whole line of operator-credentials.txt.', 'error');
      this.clientId.focus();
    } else if (pasted.clientSecret === undefined) {
      this.setNotice('The pasted line has no client_secret value. Enter the secret below.', 'error');
      this.secret.focus();
    } else {
      this.setNotice('Filled the client id and secret from the pasted line.', 'info');
      this.submit.focus();
    }
    return true;
  }

  private setNotice(text: string, kind: NoticeKind): void {
    this.message.dataset.kind = kind;
    setText(this.message, text);
  }

  private async attempt(): Promise<void> {
    this.submit.disabled = true;
    this.setNotice('Signing in…', 'info');
    try {
      await this.session.signIn(this.clientId.value.trim(), this.secret.value);
      this.setNotice('', 'info');
      this.onSignedIn();
    } catch (error) {
      const message = error instanceof SignInError ? signInFailureMessage(error.failure) : `Sign-in failed: ${(error as Error).message}`;
      this.setNotice(message, 'error');
    } finally {
      this.secret.value = '';
      this.submit.disabled = false;
    }
  }
}
