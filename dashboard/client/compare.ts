/**
 * Compares two strings by UTF-16 code unit, as `<` does, for `Array.sort`.
 * Returns a negative number, zero or a positive number. Unlike
 * `localeCompare`, the order does not depend on the browser's locale.
 */
export function compareText(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
