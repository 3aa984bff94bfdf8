// Finds a Chromium for the browser tests, never downloads one: CHROMIUM_PATH, then the usual install
// locations (Debian/Ubuntu packages, Google Chrome, snap, macOS, a Playwright browser folder that is
// already there). No browser: the caller skips its tests with a line that says how to enable them,
// except under CI (CI set), where a missing browser is a failure.
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

const COMMON = [
  '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium', '/snap/bin/chromium',
  '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/opt/google/chrome/chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/** Browsers a Playwright install left in its cache folder (PLAYWRIGHT_BROWSERS_PATH or the default). */
function playwrightBrowsers() {
  const roots = [process.env.PLAYWRIGHT_BROWSERS_PATH, join(homedir(), '.cache', 'ms-playwright'), join(homedir(), 'Library', 'Caches', 'ms-playwright')];
  const found = [];
  for (const root of roots) {
    if (!root || !existsSync(root)) continue;
    for (const dir of readdirSync(root).filter((d) => /^chromium(_headless_shell)?-\d+$/.test(d)).sort().reverse()) {
      for (const exe of ['chrome-linux/chrome', 'chrome-linux64/chrome', 'chrome-linux/headless_shell', 'chrome-mac/Chromium.app/Contents/MacOS/Chromium']) {
        found.push(join(root, dir, exe));
      }
    }
  }
  return found;
}

/** { path } of the browser to use, or { path: null, why } with how to get one. */
export function findChromium() {
  const given = process.env.CHROMIUM_PATH;
  if (given) {
    if (existsSync(given)) return { path: given };
    return { path: null, why: `CHROMIUM_PATH is ${given}, which does not exist` };
  }
  const path = [...COMMON, ...playwrightBrowsers()].find((p) => existsSync(p));
  return path ? { path } : { path: null, why: `no Chromium or Chrome found (looked in ${COMMON.slice(0, 4).join(', ')}, ...)` };
}

/**
 * Registers `suite`'s tests or skips them all: `register(test)` gets the suite itself when a browser
 * was found, or uvu's .skip when it was not (after one line on stderr). Under CI a missing browser fails.
 */
export function withChromium(suite, what) {
  const chromium = findChromium();
  if (chromium.path || process.env.CI) return { chromium, test: suite };
  process.stderr.write(`  skipping ${what}: ${chromium.why}. Install Chromium (Debian: apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary.\n`);
  return { chromium, test: suite.skip };
}
