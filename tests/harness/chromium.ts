/**
 * Where headless Chromium is: Debian's `chromium` (installed by `make browser`, which `make test`
 * and `make bench` run), or CHROMIUM_PATH. Apart from ./browser.ts so the web bench can use it
 * without the test fixtures.
 */
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): string {
  const path = process.env['CHROMIUM_PATH'] ?? CANDIDATES.find((p) => existsSync(p));
  if (!path || !existsSync(path)) throw new Error(`no Chromium found (${CANDIDATES.join(', ')}): run \`make browser\` (apt-get install chromium) or set CHROMIUM_PATH`);
  return path;
}
