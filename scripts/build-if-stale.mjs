#!/usr/bin/env node
// Runs `npm run build` unless dist/ is newer than every input of the build,
// so `npm ci && npm start` builds once: `prepare` builds during `npm ci`, and
// `prestart` then finds dist/ up to date. A source file edited since the last
// build makes `npm start` rebuild.
//
//   node scripts/build-if-stale.mjs           build when stale
//   node scripts/build-if-stale.mjs --stamp   record a finished build (the last step of `npm run build`)
//
// The check compares modification times with dist/.build-stamp, which only a
// complete `npm run build` writes, so an interrupted build counts as stale.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');

/** Folders whose files the build reads; the build's own output inside them is skipped. */
const INPUT_FOLDERS = ['pipeline', 'grammar', 'ingest-gateway', 'processors', 'sinks', 'agent', 'dashboard'];
const INPUT_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/copy-generated.mjs'];
const SKIPPED_FOLDERS = new Set(['node_modules', 'generated']);

if (process.argv[2] === '--stamp') {
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  process.exit(0);
}

const builtAt = statSync(stamp, { throwIfNoEntry: false })?.mtimeMs;
const changed = builtAt === undefined ? undefined : newerInput(builtAt);
if (builtAt !== undefined && changed === undefined) {
  console.error('build-if-stale: dist/ is up to date, skipping the build');
  process.exit(0);
}

console.error(builtAt === undefined ? 'build-if-stale: no complete build in dist/, building' : `build-if-stale: ${changed} changed since the last build, building`);
// npm sets npm_execpath to its own CLI script when it runs this script; fall back to npm on the PATH.
const npm = process.env.npm_execpath;
const result = npm ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' }) : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(result.status ?? 1);

/** Returns the path of the first input modified after `time`, or undefined when there is none. */
function newerInput(time) {
  for (const file of INPUT_FILES) {
    const stats = statSync(join(root, file), { throwIfNoEntry: false });
    if (stats && stats.mtimeMs > time) return file;
  }
  for (const folder of INPUT_FOLDERS) {
    const found = newerIn(join(root, folder), time);
    if (found) return relative(root, found);
  }
  return undefined;
}

/** Returns the first path under `directory` modified after `time`. A folder counts too, because adding, removing or renaming a file changes the folder's time only. */
function newerIn(directory, time) {
  const stats = statSync(directory, { throwIfNoEntry: false });
  if (stats === undefined) return undefined;
  if (stats.mtimeMs > time) return directory;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (SKIPPED_FOLDERS.has(entry.name)) continue;
      const found = newerIn(path, time);
      if (found) return found;
    } else if (statSync(path).mtimeMs > time) {
      return path;
    }
  }
  return undefined;
}
