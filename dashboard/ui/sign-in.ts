import { h, setText } from './dom.js';
import type { Session } from './session.js';

/**
 * The sign-in form, shown when the API answers 401: client id and secret of
 * operator credentials with the `read` scope (`fleetpulse credentials
 * create --client NAME`, or the embedded deployment's data/local-operator
 * file). The secret field is cleared after every attempt.
 */
export class SignInForm {
  readonly element: HTMLElement;
  private readonly clientId: HTMLInputElement;
  private readonly secret: HTMLInputElement;
  private readonly message: Element;
  private readonly submit: HTMLButtonElement;

  constructor(
    private readonly session: Session,
    private readonly onSignedIn: () => void,
  ) {
    this.clientId = h('input', { type: 'text', name: 'client_id', autocomplete: 'username', required: true, spellcheck: 'false' }) as HTMLInputElement;
    this.secret = h('input', { type: 'password', name: 'client_secret', autocomplete: 'current-password', required: true }) as HTMLInputElement;
    this.message = h('p', { class: 'sign-in-message', role: 'alert' });
    this.submit = h('button', { type: 'submit' }, ['Sign in']) as HTMLButtonElement;
    const form = h('form', { class: 'sign-in-form', 'aria-label': 'sign in' }, [
      h('h2', {}, ['Sign in to the fleetpulse dashboard']),
      h('p', { class: 'sign-in-hint' }, ['Use operator credentials with the read scope: fleetpulse credentials create --client NAME.']),
      h('label', {}, ['Client id', this.clientId]),
      h('label', {}, ['Client secret', this.secret]),
      this.submit,
      this.message,
    ]);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.attempt();
    });
    this.element = h('div', { class: 'sign-in', hidden: true }, [form]) as HTMLElement;
  }

  show(message: string): void {
    setText(this.message, message);
    this.element.hidden = false;
    (this.clientId.value === '' ? this.clientId : this.secret).focus();
  }

  hide(): void {
    this.element.hidden = true;
  }

  private async attempt(): Promise<void> {
    this.submit.disabled = true;
    setText(this.message, 'Signing in…');
    try {
      await this.session.signIn(this.clientId.value.trim(), this.secret.value);
      setText(this.message, '');
      this.onSignedIn();
    } catch (error) {
      setText(this.message, (error as Error).message);
    } finally {
      this.secret.value = '';
      this.submit.disabled = false;
    }
  }
}
