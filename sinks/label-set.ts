/**
 * Canonical text of a label set: keys in code-unit order, each value
 * JSON-quoted, as in `{core="0",mount="/"}`; `{}` when there are no labels.
 *
 * Both stores use it as the series key in their dedup keys, so the same
 * labels must always produce the same text: changing the format would make a
 * replay of old records look like new rows.
 */
export function labelSetKey(labels: Readonly<Record<string, string>>): string {
  let keys: string[] | undefined;
  for (const key in labels) (keys ??= []).push(key);
  if (keys === undefined) return '{}';
  if (keys.length > 1) keys.sort();

  let text = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0) text += ',';
    text += `${key}=${JSON.stringify(labels[key])}`;
  }
  return `${text}}`;
}
