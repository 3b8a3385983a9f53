import type { FleetModel } from '../client/fleet-model.js';
import { formatAge } from '../client/format.js';
import type { AlertView } from '../client/protocol.js';
import { h, setText } from './dom.js';

/** Maximum number of alerts listed, because a fleet-wide outage would otherwise build thousands of items. */
const MAX_LISTED = 200;

/**
 * Panel of the firing alerts, most severe first, with severity, rule, agent,
 * firing age and summary. Clicking an alert's agent shows it in the agent list.
 */
export class AlertsPanel {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly heading: Element;
  private renderedVersion = -1;
  private ages: Array<{ element: Element; alert: AlertView }> = [];

  constructor(
    private readonly model: FleetModel,
    private readonly onSelectAgent: (agentId: string) => void,
  ) {
    this.heading = h('h2', {}, ['Firing alerts']);
    this.list = h('ol', { class: 'alert-list' }) as HTMLElement;
    this.element = h('aside', { class: 'alerts-panel', 'aria-label': 'firing alerts' }, [this.heading, this.list]) as HTMLElement;
  }

  render(): void {
    if (this.renderedVersion === this.model.version) return;
    this.renderedVersion = this.model.version;

    const alerts = this.model.firingAlerts();
    setText(this.heading, alerts.length === 0 ? 'Firing alerts: none' : `Firing alerts: ${alerts.length}`);
    this.ages = [];
    const items = alerts.slice(0, MAX_LISTED).map((alert) => {
      const age = h('span', { class: 'alert-age' });
      this.ages.push({ element: age, alert });
      const agent = h('button', { type: 'button', class: 'alert-agent', title: `show ${alert.agentId} in the agent list` }, [alert.agentId]);
      agent.addEventListener('click', () => this.onSelectAgent(alert.agentId));
      return h('li', { class: `alert alert-${alert.severity}`, 'data-fingerprint': alert.fingerprint }, [
        h('span', { class: `severity severity-${alert.severity}` }, [alert.severity]),
        h('span', { class: 'alert-rule' }, [alert.rule]),
        agent,
        age,
        alert.summary ? h('span', { class: 'alert-summary' }, [alert.summary]) : null,
      ]);
    });
    if (alerts.length > MAX_LISTED) items.push(h('li', { class: 'alert-more' }, [`and ${alerts.length - MAX_LISTED} more`]));
    this.list.replaceChildren(...items);
    this.tick();
  }

  /** Updates the ticking firing ages. */
  tick(): void {
    const now = this.model.serverNow(Date.now());
    for (const { element, alert } of this.ages) setText(element, `firing ${formatAge(now - alert.firingSince)}`);
  }
}
