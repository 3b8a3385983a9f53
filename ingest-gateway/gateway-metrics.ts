/**
 * Counters of the gateway's security decisions, served by GET /metrics in
 * the Prometheus text format (version 0.0.4). Each replica counts its own
 * requests; Prometheus sums them across replicas.
 */
export class GatewayCounters {
  private readonly counters = new Map<string, { help: string; labelled: boolean; values: Map<string, number> }>();

  constructor() {
    this.define('fleetpulse_gateway_rate_limited_total', 'Requests rejected with 429 Too Many Requests, by route and limit (agent or ip).', true);
    this.define('fleetpulse_gateway_auth_rejected_total', 'Requests rejected with 401 or 403 for their token or client certificate, by route and error.', true);
    this.define('fleetpulse_gateway_tokens_issued_total', 'Access tokens issued by POST /oauth/token.', false);
    this.define('fleetpulse_gateway_token_errors_total', 'POST /oauth/token requests rejected with an OAuth2 error, by error code.', true);
    this.define('fleetpulse_gateway_plain_http_rejected_total', 'Connections that sent plain HTTP to the HTTPS port.', false);
  }

  rateLimited(route: string, limit: 'agent' | 'ip'): void {
    this.add('fleetpulse_gateway_rate_limited_total', { route, limit });
  }

  authRejected(route: string, error: string): void {
    this.add('fleetpulse_gateway_auth_rejected_total', { route, error });
  }

  tokenIssued(): void {
    this.add('fleetpulse_gateway_tokens_issued_total', {});
  }

  tokenError(error: string): void {
    this.add('fleetpulse_gateway_token_errors_total', { error });
  }

  plainHttpRejected(): void {
    this.add('fleetpulse_gateway_plain_http_rejected_total', {});
  }

  /** Returns the value of one series, for tests. */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.counters.get(name)?.values.get(formatLabels(labels)) ?? 0;
  }

  /**
   * Formats all counters in the Prometheus text exposition format. A counter
   * without labels shows 0 before its first event, and a labelled one shows
   * no series until then.
   */
  toPrometheusText(): string {
    const lines: string[] = [];
    for (const [name, { help, labelled, values }] of this.counters) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      if (values.size === 0 && !labelled) lines.push(`${name} 0`);
      for (const [labels, value] of values) lines.push(`${name}${labels} ${value}`);
    }
    return `${lines.join('\n')}\n`;
  }

  private define(name: string, help: string, labelled: boolean): void {
    this.counters.set(name, { help, labelled, values: new Map() });
  }

  private add(name: string, labels: Record<string, string>): void {
    const values = this.counters.get(name)!.values;
    const key = formatLabels(labels);
    values.set(key, (values.get(key) ?? 0) + 1);
  }
}

function formatLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  const escape = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `{${entries.map(([key, value]) => `${key}="${escape(value)}"`).join(',')}}`;
}
