// Builds the dashboard page into dist/dashboard-ui. It compiles dashboard/ui
// and dashboard/client with dashboard/ui/tsconfig.json (DOM types, ES modules
// that the browser loads unbundled) and copies the page and its stylesheet
// beside them. It builds into a fresh folder and swaps it in with two renames,
// so no stale module is served and no server reads a half-written build.
// Between the two renames the folder is missing for a moment.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const output = join(root, 'dist', 'dashboard-ui');
const staging = `${output}.building-${process.pid}`;
const retired = `${output}.old-${process.pid}`;
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(staging, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [tsc, '-p', join(root, 'dashboard', 'ui', 'tsconfig.json'), '--outDir', staging], { stdio: 'inherit' });
  for (const file of ['index.html', 'dashboard.css']) copyFileSync(join(root, 'dashboard', 'ui', file), join(staging, 'ui', file));
  if (existsSync(output)) renameSync(output, retired);
  renameSync(staging, output);
} finally {
  rmSync(staging, { recursive: true, force: true });
  rmSync(retired, { recursive: true, force: true });
}
