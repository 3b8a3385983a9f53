import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';

const SCRIPT = new URL('./build-if-stale.mjs', import.meta.url).pathname;

/**
 * Copies the script into a project of its own, whose `npm` is a stand-in
 * that counts builds and ends each as `npm run build` does, by writing the
 * stamp.
 */
function project(t: Test): { root: string; builds: () => number; run: () => Promise<string> } {
  const root = mkdtempSync(join(tmpdir(), 'fleetpulse-build-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'scripts'));
  copyFileSync(SCRIPT, join(root, 'scripts', 'build-if-stale.mjs'));
  mkdirSync(join(root, 'pipeline', 'cli'), { recursive: true });
  writeFileSync(join(root, 'pipeline', 'cli', 'main.ts'), 'export {};\n');
  writeFileSync(join(root, 'package.json'), '{}\n');
  const fakeNpm = join(root, 'fake-npm.mjs');
  writeFileSync(
    fakeNpm,
    `import { appendFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
appendFileSync(${JSON.stringify(join(root, 'builds.log'))}, process.argv.slice(2).join(' ') + '\\n');
execFileSync(process.execPath, [${JSON.stringify(join(root, 'scripts', 'build-if-stale.mjs'))}, '--stamp']);
`,
  );
  const builds = (): number => (existsSync(join(root, 'builds.log')) ? readFileSync(join(root, 'builds.log'), 'utf8').trim().split('\n').length : 0);
  const run = (): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(process.execPath, [join(root, 'scripts', 'build-if-stale.mjs')], { env: { ...process.env, npm_execpath: fakeNpm } }, (error, _stdout, stderr) =>
        error ? reject(error) : resolve(stderr.trim()),
      );
    });
  return { root, builds, run };
}

/** Moves a file's modification time a minute past the stamp, as an edit after the build would. */
function edit(path: string): void {
  const later = new Date(Date.now() + 60_000);
  utimesSync(path, later, later);
}

t.test('build-if-stale builds without a stamp', async (t) => {
  const { builds, run } = project(t);
  t.equal(await run(), 'build-if-stale: no complete build in dist/, building');
  t.equal(builds(), 1);
});

t.test('build-if-stale skips an up-to-date build', async (t) => {
  const { builds, run } = project(t);
  await run();
  t.equal(await run(), 'build-if-stale: dist/ is up to date, skipping the build');
  t.equal(builds(), 1, 'the second run did not build');
});

t.test('build-if-stale rebuilds after an edit', async (t) => {
  const { root, builds, run } = project(t);
  await run();
  edit(join(root, 'pipeline', 'cli', 'main.ts'));
  t.equal(await run(), 'build-if-stale: pipeline/cli/main.ts changed since the last build, building');
  t.equal(builds(), 2);
});

t.test('build-if-stale rebuilds after a removal', async (t) => {
  const { root, builds, run } = project(t);
  writeFileSync(join(root, 'pipeline', 'cli', 'old.ts'), 'export {};\n');
  await run();
  rmSync(join(root, 'pipeline', 'cli', 'old.ts'));
  edit(join(root, 'pipeline', 'cli'));
  t.equal(await run(), 'build-if-stale: pipeline/cli changed since the last build, building');
  t.equal(builds(), 2);
});
