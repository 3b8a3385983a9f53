import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The page's Content-Security-Policy: scripts, styles and connections from
 * this origin only, no inline script or style, no plugins, no framing. The
 * page builds its DOM with textContent, so an agent name cannot become
 * markup, and this policy would block a script even if one did.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  // 'self' covers wss:// to the same host in CSP Level 3, which Chromium and Firefox implement.
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers of every dashboard response. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Folders of the built UI that are served. */
const SERVED_FOLDERS = ['ui', 'client'];

export interface StaticAsset {
  body: Buffer;
  contentType: string;
}

/**
 * The built page, read into memory once: `index.html`, the stylesheet and
 * the ES modules that `npm run build:dashboard` compiles from dashboard/ui
 * and dashboard/client into dist/dashboard-ui. Paths are relative to the
 * dashboard's mount point, such as `ui/main.js`.
 */
export class StaticAssets {
  private constructor(
    private readonly files: Map<string, StaticAsset>,
    /** Folder the files came from, or undefined when the UI is not built. */
    readonly root: string | undefined,
  ) {}

  /** Loads the UI from `root`, or from the build output next to this module when absent. */
  static load(root: string | undefined = findBuiltUi()): StaticAssets {
    const files = new Map<string, StaticAsset>();
    if (root === undefined || !existsSync(join(root, 'ui', 'index.html'))) return new StaticAssets(files, undefined);

    for (const folder of SERVED_FOLDERS) {
      const directory = join(root, folder);
      if (!existsSync(directory)) continue;
      for (const name of readdirSync(directory)) {
        const contentType = CONTENT_TYPES[extname(name)];
        if (contentType === undefined) continue;
        files.set(`${folder}/${name}`, { body: readFileSync(join(directory, name)), contentType });
      }
    }
    return new StaticAssets(files, root);
  }

  get built(): boolean {
    return this.root !== undefined;
  }

  get(path: string): StaticAsset | undefined {
    return this.files.get(path);
  }
}

/**
 * Finds the build output: dist/dashboard-ui beside dist/dashboard when this
 * module runs from dist/, or under dist/ of the repository when it runs from
 * source through tsx. Returns undefined when neither contains ui/index.html.
 */
function findBuiltUi(): string | undefined {
  const candidates = ['../dashboard-ui/', '../dist/dashboard-ui/'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  return candidates.find((candidate) => existsSync(join(candidate, 'ui', 'index.html')));
}
