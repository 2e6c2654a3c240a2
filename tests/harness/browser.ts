/**
 * Headless Chromium for the web tests: Debian's `chromium` (installed by `make browser`, which
 * `make test` runs), driven through playwright-core (no browser download of its own).
 * CHROMIUM_PATH points elsewhere when set (./chromium.ts).
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumPath } from './chromium';
import { registerCleanup } from './fixtures';

/** A headless Chromium closed with the test file. */
export async function launchChromium(): Promise<Browser> {
  // /dev/shm may be small in containers; there is no GPU.
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--disable-dev-shm-usage', '--disable-gpu'] });
  registerCleanup(() => browser.close());
  return browser;
}

/** Calls `onError` with each console error, uncaught exception and failed request of a page. */
export function watchPageErrors(page: Page, onError: (error: string) => void): void {
  page.on('console', (message) => {
    if (message.type() === 'error') onError(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => onError(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    // The live feed's stream is cut when a page navigates away or closes: not an error of the page.
    if (!request.url().endsWith('/api/live')) onError(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`);
  });
}
