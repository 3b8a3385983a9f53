import { unauthorizedMessage } from '../client/credentials.js';
import { parseTagFilter } from '../client/filter.js';
import { FleetModel } from '../client/fleet-model.js';
import { countOf } from '../client/format.js';
import { AGENT_STATUSES, type AgentStatus } from '../client/protocol.js';
import { AgentList } from './agent-list.js';
import { AlertsPanel } from './alerts-panel.js';
import { h, required, setText } from './dom.js';
import { HeatmapView } from './heatmap-view.js';
import { LiveConnection, type LiveState } from './live.js';
import { Session } from './session.js';
import { SignInForm } from './sign-in.js';

/**
 * The dashboard page: the agent list with its filters and the firing
 * alerts, the heatmap view, and the sign-in form, kept current by a
 * LiveConnection. The agent list, alerts and counts render at most once per
 * animation frame, and their ages tick once a second on the page's clock
 * corrected to the server's.
 */
class DashboardApp {
  private readonly model = new FleetModel();
  private readonly session = new Session();
  private readonly agents = new AgentList(this.model, () => this.scheduleRender());
  private readonly alerts: AlertsPanel;
  private readonly heatmap: HeatmapView;
  private readonly signIn: SignInForm;
  private readonly live: LiveConnection;
  private readonly counts: Element;
  private readonly connection: Element;
  private readonly search: HTMLInputElement;
  private readonly tagFilter: HTMLInputElement;
  private readonly tagSuggestions: HTMLElement;
  private readonly filterError: Element;
  private readonly statusBoxes = new Map<AgentStatus, HTMLInputElement>();
  private readonly agentsTab: HTMLElement;
  private readonly heatmapTab: HTMLElement;
  private frameRequested = false;
  private suggestionsVersion = -1;
  private suggestionsAt = 0;

  constructor(root: HTMLElement) {
    this.alerts = new AlertsPanel(this.model, (agentId) => this.showAgent(agentId));
    this.heatmap = new HeatmapView(this.session, (error) => this.requireSignIn(unauthorizedMessage(error.tokenSent)), (agentId) => this.showAgent(agentId));
    this.signIn = new SignInForm(this.session, () => this.start());
    this.live = new LiveConnection({
      model: this.model,
      session: this.session,
      onChange: () => this.scheduleRender(),
      onState: (state, detail) => this.showConnection(state, detail),
      onUnauthorized: (error) => this.requireSignIn(unauthorizedMessage(error.tokenSent)),
    });

    this.counts = h('span', { class: 'counts', role: 'status' });
    this.connection = h('span', { class: 'connection', 'data-state': 'connecting' }, ['connecting']);
    const signOut = h('button', { type: 'button', class: 'sign-out' }, ['Sign out']);
    signOut.addEventListener('click', () => {
      this.session.signOut();
      this.requireSignIn('Signed out.');
    });
    const agentsButton = h('button', { type: 'button', class: 'tab', 'aria-selected': 'true', 'data-view': 'agents' }, ['Agents']);
    const heatmapButton = h('button', { type: 'button', class: 'tab', 'aria-selected': 'false', 'data-view': 'heatmap' }, ['Heatmap']);
    agentsButton.addEventListener('click', () => this.showView('agents'));
    heatmapButton.addEventListener('click', () => this.showView('heatmap'));
    const summary = h('div', { class: 'top-summary' }, [this.counts, this.connection, signOut]);
    const header = h('header', { class: 'top-bar' }, [h('h1', {}, ['fleetpulse']), h('nav', { class: 'tabs', role: 'tablist' }, [agentsButton, heatmapButton]), summary]);

    this.search = h('input', { type: 'search', name: 'search', placeholder: 'search agent id', 'aria-label': 'search agent id', autocomplete: 'off' }) as HTMLInputElement;
    this.tagSuggestions = h('datalist', { id: 'tag-suggestions' }) as HTMLElement;
    this.tagFilter = h('input', { type: 'text', name: 'tags', placeholder: 'tags, such as env=prod role=db*', 'aria-label': 'tag filter', list: 'tag-suggestions', autocomplete: 'off' }) as HTMLInputElement;
    this.filterError = h('span', { class: 'filter-error', role: 'alert' });
    const statusFilters = AGENT_STATUSES.map((status) => {
      const box = h('input', { type: 'checkbox', name: `status-${status}`, value: status }) as HTMLInputElement;
      box.addEventListener('change', () => this.applyFilter());
      this.statusBoxes.set(status, box);
      return h('label', { class: `status-filter status-${status}` }, [box, ` ${status}`]);
    });
    this.search.addEventListener('input', () => this.applyFilter());
    this.tagFilter.addEventListener('input', () => this.applyFilter());
    const filters = h('div', { class: 'filters' }, [this.search, this.tagFilter, this.tagSuggestions, ...statusFilters, this.filterError]);

    this.agentsTab = h('div', { class: 'view view-agents' }, [h('div', { class: 'agents-main' }, [filters, this.agents.element]), this.alerts.element]) as HTMLElement;
    this.heatmapTab = h('div', { class: 'view view-heatmap', hidden: true }, [this.heatmap.element]) as HTMLElement;
    root.replaceChildren(header, h('main', {}, [this.agentsTab, this.heatmapTab]), this.signIn.element);

    window.addEventListener('resize', () => this.scheduleRender());
    window.setInterval(() => this.tick(), 1_000);
  }

  start(): void {
    this.signIn.hide();
    this.live.start();
  }

  /** Stops the live connection and shows the sign-in form with `notice`, empty when the page has not signed in yet. */
  private requireSignIn(notice: string): void {
    this.live.stop();
    this.showConnection('signed-out', notice || 'sign in to see the fleet');
    this.signIn.show(notice);
  }

  private showView(view: 'agents' | 'heatmap'): void {
    this.agentsTab.hidden = view !== 'agents';
    this.heatmapTab.hidden = view !== 'heatmap';
    for (const tab of document.querySelectorAll('.tab')) tab.setAttribute('aria-selected', String(tab.getAttribute('data-view') === view));
    if (view === 'heatmap') void this.heatmap.load();
    else this.scheduleRender();
  }

  private showAgent(agentId: string): void {
    this.search.value = agentId;
    this.tagFilter.value = '';
    for (const box of this.statusBoxes.values()) box.checked = false;
    this.showView('agents');
    this.applyFilter();
  }

  private applyFilter(): void {
    const parsed = parseTagFilter(this.tagFilter.value);
    setText(this.filterError, parsed.errors.join('; '));
    const statuses = new Set([...this.statusBoxes].filter(([, box]) => box.checked).map(([status]) => status));
    this.agents.setFilter({ search: this.search.value.trim(), tags: parsed.matchers, statuses });
    this.scheduleRender();
  }

  private scheduleRender(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    window.requestAnimationFrame(() => {
      this.frameRequested = false;
      this.render();
    });
  }

  private render(): void {
    if (!this.agentsTab.hidden) {
      this.agents.render();
      this.alerts.render();
    }
    const counts = this.model.counts();
    const matching = this.agents.matching;
    const total = this.model.agents.size;
    const filtered = matching !== total ? ` (${matching} ${matching === 1 ? 'matches' : 'match'} the filter)` : '';
    const text = `${countOf(total, 'agent')}: ${counts.up} up, ${counts.late} late, ${counts.silent} silent${filtered}`;
    setText(this.counts, text);
    // A narrow top bar cuts the counts off with an ellipsis, so the title keeps the whole text.
    this.counts.setAttribute('title', text);
    this.updateSuggestions();
  }

  private tick(): void {
    if (this.agentsTab.hidden) return;
    this.agents.tick();
    this.alerts.tick();
  }

  /** Refreshes the tag suggestions when the agents' layout changed, at most every 5 s because counting tags reads every agent. */
  private updateSuggestions(): void {
    if (this.suggestionsVersion === this.model.layoutVersion || Date.now() - this.suggestionsAt < 5_000) return;
    this.suggestionsVersion = this.model.layoutVersion;
    this.suggestionsAt = Date.now();
    this.tagSuggestions.replaceChildren(...this.model.tagSuggestions(50).map((term) => h('option', { value: term })));
  }

  private showConnection(state: LiveState, detail: string): void {
    const labels: Record<LiveState, string> = { connecting: 'connecting', live: 'live', polling: 'polling', offline: 'offline', 'signed-out': 'signed out' };
    this.connection.setAttribute('data-state', state);
    this.connection.setAttribute('title', detail);
    setText(this.connection, labels[state]);
  }
}

const app = new DashboardApp(required<HTMLElement>(document, '#app'));
app.start();
