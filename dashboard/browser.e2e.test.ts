import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { type AgentHandle, startAgent } from '../agent/agent.js';
import { agentConfigSchema } from '../agent/config.js';
import { scriptedSource } from '../agent/scripted-source.js';
import { type FleetpulseConfig, fleetpulseConfigSchema } from '../pipeline/cli/config.js';
import { type RunningPipeline, startPipeline } from '../pipeline/cli/pipeline.js';
import { enrollAgent, enrollOperator } from '../pipeline/cli/test-support/enroll.js';
import { silentLogger } from '../pipeline/log/logger.js';
import { eventually } from '../pipeline/test-support/services.js';

/**
 * Drives the dashboard in Chromium against an embedded pipeline. The test
 * signs in with a wrong secret, then with a pasted credentials line. It checks
 * that a new agent appears within 2 s of its first batch, that an agent id
 * written as markup is shown as text, and that a stopped agent turns late,
 * then silent with its dead-man alert. The alert must clear when the agent
 * reports again, and the page must poll while its WebSocket fails and
 * reconnect afterwards. Finally the search and tag filters narrow the list,
 * the layout fits windows from 1400 px down to 390 px wide, and the heatmap
 * draws with its legend and lists a cell's agents. Each step saves a
 * screenshot to .artifacts/dashboard/.
 */

/** Chromium binary, by default Debian's. FLEETPULSE_TEST_CHROMIUM sets the path of another build of Chromium or Chrome. */
const CHROMIUM = process.env.FLEETPULSE_TEST_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = join(REPOSITORY, '.artifacts', 'dashboard');
const HOSTILE_ID = '<img src=x onerror=alert(1)>';
const INTERVAL = '300ms';

if (!existsSync(CHROMIUM)) {
  const message = `Chromium is not installed at ${CHROMIUM}. Install it with apt-get install -y chromium, or set FLEETPULSE_TEST_CHROMIUM to its path`;
  if (process.env.FLEETPULSE_REQUIRE_BROWSER === '1') t.fail(`${message} (FLEETPULSE_REQUIRE_BROWSER=1 requires the browser test)`);
  else t.plan(0, `skipped: ${message}. FLEETPULSE_REQUIRE_BROWSER=1 makes a missing browser a failure`);
} else {
  t.test('dashboard in Chromium', { timeout: 120_000 }, runDashboardTest);
}

function pipelineConfig(dataDir: string): FleetpulseConfig {
  const rules = join(dataDir, 'rules.yml');
  writeFileSync(rules, '- name: HighCPU\n  condition: cpu_usage > 90\n  severity: critical\n');
  return fleetpulseConfigSchema.parse({
    deployment: 'embedded',
    log_level: 'silent',
    data_dir: dataDir,
    gateway: { port: 0 },
    store: { duckdb: { path: join(dataDir, 'fleetpulse.duckdb') } },
    // Agents count as silent after 4 s without a batch, checked every 100 ms. On a loaded machine a
    // collection can take longer than the 300 ms interval, which stretches the estimated interval, so
    // the gap between late (two intervals) and silent is kept wide.
    processor: { rule_files: [rules], deadman: [{ name: 'AgentSilent', timeout: '4s', severity: 'critical' }], tick_interval: '100ms' },
    router: { default_receivers: ['console'] },
    notifier: { receivers: [{ name: 'console', type: 'console' }] },
    dashboard: { push_interval: '100ms', poll_interval: '500ms', report_interval: INTERVAL },
  });
}

async function runDashboardTest(t: Test): Promise<void> {
  // The test serves the page as built from the current sources.
  execFileSync(process.execPath, [join(REPOSITORY, 'dashboard', 'build-ui.mjs')], { stdio: 'inherit' });
  mkdirSync(ARTIFACTS, { recursive: true });

  const dataDir = mkdtempSync(join(tmpdir(), 'fleetpulse-dashboard-e2e-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = pipelineConfig(dataDir);
  const pipeline = await startPipeline(config, { logger: silentLogger });
  t.teardown(() => pipeline.stop());
  t.match(pipeline.dashboardUrl, /^https:\/\/127\.0\.0\.1:\d+\/dashboard\/$/, 'the dashboard shares the gateway port');

  const agents: AgentHandle[] = [];
  t.teardown(async () => {
    for (const agent of agents) await agent.stop();
  });
  const startReporting = async (agentId: string): Promise<AgentHandle> => {
    const agentConfig = agentConfigSchema.parse({
      ...(await enrollAgent(config, agentId)),
      agent_id: agentId,
      gateway_url: pipeline.gatewayUrl,
      interval: INTERVAL,
      probe_targets: ['127.0.0.1:9'],
      tags: { env: 'e2e', role: agentId.startsWith('db') ? 'db' : 'web' },
      retry_initial: '50ms',
      retry_max: '500ms',
    });
    const agent = startAgent(agentConfig, { logger: silentLogger, source: scriptedSource(() => 25) });
    agents.push(agent);
    return agent;
  };

  const userDataDir = mkdtempSync(join(tmpdir(), 'fleetpulse-chromium-'));
  t.teardown(() => rmSync(userDataDir, { recursive: true, force: true }));
  const browser = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, ignoreHTTPSErrors: true, viewport: { width: 1600, height: 900 } });
  t.teardown(() => browser.close());
  const page = browser.pages()[0] ?? (await browser.newPage());
  const problems = watchPage(page);

  await signIn(t, page, config, pipeline);
  await newAgentAppears(t, page, pipeline, startReporting);
  await hostileNameIsText(t, page, startReporting);
  await silentAndAlert(t, page, startReporting, agents);
  await pollingFallback(t, page, pipeline, startReporting);
  await filters(t, page);
  await layoutFits(t, page);
  await heatmapRenders(t, page);

  t.same(problems, [], 'no dialog, page error or blocked resource');
}

/** Collects the events that must not happen on the page: dialogs (such as an injected alert()), uncaught errors and CSP violations. */
function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  return problems;
}

/** Members of a browser's HTMLCanvasElement that the heatmap check reads. */
interface CanvasLike {
  width: number;
  height: number;
  clientWidth: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray; width: number } } | null;
}

async function screenshot(page: Page, step: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${step}.png`), fullPage: false });
}

async function signIn(t: Test, page: Page, config: FleetpulseConfig, pipeline: RunningPipeline): Promise<void> {
  const response = await page.goto(pipeline.dashboardUrl!);
  t.equal(response?.status(), 200, 'the page loads without a token');
  t.match(response?.headers()['content-security-policy'], /script-src 'self'/);

  const form = page.locator('.sign-in-form');
  await form.waitFor({ state: 'visible', timeout: 10_000 });
  await screenshot(page, '01-sign-in');

  const message = page.locator('.sign-in-message');
  t.equal(await message.textContent(), '', 'no message before an attempt');
  t.match(await page.locator('.sign-in-hint').textContent(), /data\/operator-credentials\.txt.*fleetpulse credentials create --client NAME --scope read/s, 'the hint names both sources of credentials');

  const operator = await enrollOperator(config, 'dashboard-e2e');
  await page.fill('input[name="client_id"]', operator.client_id);
  await page.fill('input[name="client_secret"]', 'wrong-secret');
  await page.click('.sign-in-form button[type="submit"]');
  await page.locator('.sign-in-message[data-kind="error"]').waitFor({ timeout: 10_000 });
  t.match(await message.textContent(), /^The client id or secret was not accepted/, 'a rejected secret shows an error');
  t.notMatch(await message.textContent(), /Bearer|Authorization|oauth/i, 'the error is worded for a person');
  await screenshot(page, '01-sign-in-rejected');

  // The line of operator-credentials.txt, pasted whole into the client id field.
  await page.fill('input[name="client_id"]', new URLSearchParams(operator).toString());
  t.equal(await page.inputValue('input[name="client_id"]'), operator.client_id, 'the pasted line fills the client id');
  t.equal(await page.inputValue('input[name="client_secret"]'), operator.client_secret, 'the pasted line fills the secret');
  await page.click('.sign-in-form button[type="submit"]');
  await page.locator('.connection[data-state="live"]').waitFor({ timeout: 10_000 });
  t.ok(await form.isHidden(), 'the form closes after sign-in');
  t.notMatch(page.url(), /token|secret/, 'no credential in the URL');
  t.equal(await page.inputValue('input[name="client_secret"]'), '', 'the secret field is cleared');
  await screenshot(page, '02-signed-in');
}

async function newAgentAppears(t: Test, page: Page, pipeline: RunningPipeline, startReporting: (id: string) => Promise<AgentHandle>): Promise<void> {
  await startReporting('web-1');
  const firstBatch = await eventually(async () => (await pipeline.registry!.get('web-1'))?.lastSeen, 10_000, 'the first batch of web-1');
  await page.locator('.agent-row .agent-id', { hasText: /^web-1$/ }).waitFor({ timeout: 5_000 });
  const delay = Date.now() - firstBatch;
  t.ok(delay < 2_000, `web-1 shown ${delay} ms after its first batch (at most 2,000 ms)`);

  const row = page.locator('.agent-row', { has: page.locator('.agent-id', { hasText: /^web-1$/ }) });
  await row.locator('.status-up').waitFor({ timeout: 5_000 });
  await eventually(async () => ((await row.locator('.metric-value').first().textContent()) === '25.0%' ? true : undefined), 5_000, 'the cpu value of web-1');
  t.match(await row.locator('.agent-tags').textContent(), /env=e2e/);
  t.equal(await row.locator('.tag').first().textContent(), 'env=e2e', 'own tags come before host facts');
  t.match(await page.locator('.counts').textContent(), /^1 agent: 1 up/, 'one agent in the singular');
  await screenshot(page, '03-new-agent');
}

async function hostileNameIsText(t: Test, page: Page, startReporting: (id: string) => Promise<AgentHandle>): Promise<void> {
  await startReporting(HOSTILE_ID);
  const cell = page.locator('.agent-row .agent-id', { hasText: HOSTILE_ID });
  await cell.waitFor({ timeout: 10_000 });
  t.equal(await cell.textContent(), HOSTILE_ID, 'the agent id is shown as text');
  t.equal(await page.locator('.agent-list img').count(), 0, 'no img element was created');
  await screenshot(page, '04-markup-agent-as-text');
}

async function silentAndAlert(t: Test, page: Page, startReporting: (id: string) => Promise<AgentHandle>, agents: AgentHandle[]): Promise<void> {
  const agent = await startReporting('db-1');
  const row = page.locator('.agent-row', { has: page.locator('.agent-id', { hasText: /^db-1$/ }) });
  await row.locator('.status-up').waitFor({ timeout: 10_000 });

  await agent.stop();
  agents.splice(agents.indexOf(agent), 1);
  await row.locator('.status-late').waitFor({ timeout: 4_000 });
  t.match(await row.locator('.status').getAttribute('title'), /^report interval \d/, 'the status explains its thresholds');
  await screenshot(page, '05-late');
  await row.locator('.status-silent').waitFor({ timeout: 10_000 });
  const alert = page.locator('.alert', { has: page.locator('.alert-agent', { hasText: /^db-1$/ }) });
  await alert.waitFor({ timeout: 10_000 });
  t.match(await alert.locator('.alert-rule').textContent(), 'AgentSilent', 'the dead-man alert fires');
  t.match(await alert.locator('.severity').textContent(), 'critical');
  await screenshot(page, '06-silent-with-alert');

  await startReporting('db-1');
  await alert.waitFor({ state: 'detached', timeout: 10_000 });
  await row.locator('.status-up').waitFor({ timeout: 5_000 });
  t.pass('the alert clears and db-1 is up again');
  await screenshot(page, '07-alert-cleared');
}

/**
 * Makes every dashboard WebSocket of the page fail while sessionStorage has
 * `test.blockSockets`. The socket then opens a path that the server closes at
 * once, as a proxy without WebSocket support would.
 */
const BLOCK_SOCKETS = `(() => {
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(sessionStorage.getItem('test.blockSockets') ? new URL('ws-blocked', location.href).href.replace(/^http/, 'ws') : url, protocols);
    }
  };
})();`;

async function pollingFallback(t: Test, page: Page, pipeline: RunningPipeline, startReporting: (id: string) => Promise<AgentHandle>): Promise<void> {
  await page.addInitScript(BLOCK_SOCKETS);
  await page.evaluate("sessionStorage.setItem('test.blockSockets', '1')");
  await page.reload();
  await page.locator('.connection[data-state="polling"]').waitFor({ timeout: 10_000 });
  t.ok(await page.locator('.sign-in').isHidden(), 'the token survives a reload of the tab');

  await startReporting('poll-1');
  const firstBatch = await eventually(async () => (await pipeline.registry!.get('poll-1'))?.lastSeen, 10_000, 'the first batch of poll-1');
  await page.locator('.agent-row .agent-id', { hasText: /^poll-1$/ }).waitFor({ timeout: 5_000 });
  t.pass(`poll-1 shown by polling ${Date.now() - firstBatch} ms after its first batch`);
  t.equal(await page.locator('.connection').getAttribute('data-state'), 'polling', 'still without the socket');
  await screenshot(page, '08-polling');

  await page.evaluate("sessionStorage.removeItem('test.blockSockets')");
  // Reconnect attempts back off exponentially, so the next one may be several seconds away.
  await page.locator('.connection[data-state="live"]').waitFor({ timeout: 40_000 });
  t.pass('the socket reconnects once it works again');
}

async function filters(t: Test, page: Page): Promise<void> {
  const shownIds = async (): Promise<string[]> => (await page.locator('.agent-row:not([hidden]) .agent-id').allTextContents()).sort();
  const expectShownIds = async (expected: string[], check: string): Promise<void> => {
    await eventually(async () => (JSON.stringify(await shownIds()) === JSON.stringify(expected) ? true : undefined), 5_000, check);
    t.same(await shownIds(), expected, check);
  };

  await page.fill('input[name="search"]', 'DB');
  await expectShownIds(['db-1'], 'search by agent id ignores case');
  await page.fill('input[name="search"]', '');
  await page.fill('input[name="tags"]', 'role=web env=e2e');
  await expectShownIds([HOSTILE_ID, 'poll-1', 'web-1'], 'tag filter');
  await screenshot(page, '09-tag-filter');
  await page.fill('input[name="tags"]', '');
  await expectShownIds([HOSTILE_ID, 'db-1', 'poll-1', 'web-1'], 'all agents without a filter');
}

/** Script evaluated in the page that measures how far the page and the alerts panel reach to the right, and where the list and panel sit. */
const LAYOUT_PROBE = `(() => {
  const box = (selector) => document.querySelector(selector).getBoundingClientRect();
  const counts = document.querySelector('.counts');
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    alertsRight: box('.alerts-panel').right,
    alertsTop: box('.alerts-panel').top,
    listBottom: box('.agent-list').bottom,
    countsHeight: counts.getBoundingClientRect().height,
    countsLineHeight: parseFloat(getComputedStyle(counts).lineHeight),
    signOutHeight: box('.sign-out').height,
    rowsShown: document.querySelectorAll('.agent-row:not(.agent-header):not([hidden])').length,
  };
})()`;

interface LayoutProbe {
  scrollWidth: number;
  innerWidth: number;
  alertsRight: number;
  alertsTop: number;
  listBottom: number;
  countsHeight: number;
  countsLineHeight: number;
  signOutHeight: number;
  rowsShown: number;
}

async function layoutFits(t: Test, page: Page): Promise<void> {
  for (const width of [1400, 1024, 390]) {
    await page.setViewportSize({ width, height: 900 });
    // Waits two frames, one for the resize and one for the list's render after it.
    await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
    const layout = (await page.evaluate(LAYOUT_PROBE)) as LayoutProbe;
    t.ok(layout.scrollWidth <= layout.innerWidth, `at ${width} px the page is ${layout.scrollWidth} px wide, within the window`);
    t.ok(layout.alertsRight <= layout.innerWidth, `at ${width} px the alerts panel ends at ${layout.alertsRight} px`);
    t.ok(layout.countsHeight <= layout.countsLineHeight * 1.5, `at ${width} px the counts take one line (${layout.countsHeight} px)`);
    t.ok(layout.signOutHeight < 40, `at ${width} px Sign out takes one line (${layout.signOutHeight} px)`);
    t.equal(layout.rowsShown, 4, `at ${width} px the list shows every agent`);
    if (width < 1100) t.ok(layout.alertsTop >= layout.listBottom - 1, `at ${width} px the alerts panel is below the list`);
    await screenshot(page, `10-layout-${width}`);
  }
  await page.setViewportSize({ width: 1600, height: 900 });

  await page.fill('input[name="search"]', 'no-such-agent');
  const empty = page.locator('.agent-empty');
  await empty.waitFor({ timeout: 5_000 });
  const emptyBox = (await empty.boundingBox())!;
  const headerBox = (await page.locator('.agent-header').boundingBox())!;
  t.ok(emptyBox.y - (headerBox.y + headerBox.height) < 4, 'the empty-list message sits under the column headers');
  await page.fill('input[name="search"]', '');
}

async function heatmapRenders(t: Test, page: Page): Promise<void> {
  // Let the store take a few seconds of latency samples.
  await page.waitForTimeout(1_500);
  await page.click('.tab[data-view="heatmap"]');
  await page.locator('.heatmap-status', { hasText: /\d+ samples/ }).waitFor({ timeout: 15_000 });
  const status = (await page.locator('.heatmap-status').textContent()) ?? '';
  t.match(status, /^latency_ms: [1-9]\d* samples/, 'the heatmap counts latency samples');

  // Counts the pixels brighter than the plot background, rgb(24, 26, 32), and finds the rightmost one.
  // The check also skips the scale's darkest blue, rgb(30, 40, 90).
  const painted = await page.locator('.heatmap-canvas').evaluate((element) => {
    // This tsconfig has no DOM library, so the canvas is typed by the members used here.
    const canvas = element as unknown as CanvasLike;
    const { data, width } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let count = 0;
    let rightmost: { x: number; y: number } | undefined;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3]! === 0 || (data[i]! <= 40 && data[i + 1]! <= 60)) continue;
      count++;
      const x = (i / 4) % width;
      if (!rightmost || x > rightmost.x) rightmost = { x, y: Math.floor(i / 4 / width) };
    }
    const ratio = canvas.width / canvas.clientWidth;
    // A few pixels inside the cell's top right corner, away from the edge shared with the cell above.
    return { count, target: rightmost && { x: rightmost.x / ratio - 3, y: rightmost.y / ratio + 3 } };
  });
  t.ok(painted.count > 0, `the canvas has painted cells (${painted.count} pixels)`);
  t.ok(await page.locator('.heatmap-legend').isVisible(), 'the colour legend is shown');
  await screenshot(page, '11-heatmap');

  // The rightmost painted cell contains the newest samples.
  const box = (await page.locator('.heatmap-canvas').boundingBox())!;
  await page.mouse.click(box.x + painted.target!.x, box.y + painted.target!.y);
  await page.locator('.cell-agents li').first().waitFor({ timeout: 10_000 });
  t.match(await page.locator('.cell-agents').textContent(), /web-1/, 'a cell lists its agents');
  t.match(await page.locator('.heatmap-details h3').textContent(), /(–[\d.]+[kM]? ms|below [\d.]+ ms): \d+ samples?$/, 'the cell title has the unit and the count');
  await screenshot(page, '12-heatmap-cell');
}
