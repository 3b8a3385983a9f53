import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The part of a tap test that registers cleanups. */
export interface Teardown {
  teardown(cleanup: () => unknown): void;
}

/** Creates a directory under the system temp directory and removes it when the test ends. */
export function temporaryDirectory(t: Teardown, prefix = 'fleetpulse-cli-'): string {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

/** Writes `text` to a file called `name` in a new temporary directory and returns the file's path. */
export function writeTemporaryFile(t: Teardown, name: string, text: string, prefix?: string): string {
  const file = join(temporaryDirectory(t, prefix), name);
  writeFileSync(file, text);
  return file;
}
