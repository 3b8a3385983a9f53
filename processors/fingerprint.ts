import { createHash } from 'node:crypto';

/**
 * Computes an alert's fingerprint: a stable hash of the rule name and the
 * identifying labels, independent of label order. 16 hex characters (64
 * bits) keep collisions negligible for millions of alerts.
 */
export function fingerprint(rule: string, labels: Record<string, string>): string {
  const hash = createHash('sha256');
  hash.update(rule);
  for (const key of Object.keys(labels).sort()) {
    hash.update('\u0000');
    hash.update(key);
    hash.update('\u0001');
    hash.update(labels[key]!);
  }
  return hash.digest('hex').slice(0, 16);
}
