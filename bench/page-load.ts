/**
 * What a person does in the web bench: signs in as a BI user in headless Chromium, then opens
 * each dashboard in turn; a sample is the ms from navigation until every chart of the page is
 * drawn (the page marks `body[data-drawn]` after its last chart). `warmupRounds` rounds of the
 * four dashboards come first, untimed (every panel's first read). The Playwright driver runs in
 * the process that calls it: a child process, or the bench's own (bench/load-child.ts).
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { DASHBOARDS } from '../services/web/dashboards';
import { chromiumPath } from '../tests/harness/chromium';
import { serveLoad, type PreparedLoad } from './load-child';

export interface PageLoadArgs {
  /** The web app's base URL. */
  readonly url: string;
  readonly user: string;
  readonly password: string;
  readonly warmupRounds: number;
  /** Rounds of the four dashboards, then done; 0: until stopped (a round is finished first). */
  readonly rounds: number;
}

const DRAWN_TIMEOUT_MS = 120_000;

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--disable-dev-shm-usage', '--disable-gpu'] });
}

/** A page of a fresh context signed in as `user`, on the executive dashboard drawn. */
export async function signIn(browser: Browser, url: string, user: string, password: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  await page.goto(`${url}/login`);
  await page.fill('#user', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(`${url}/executive`), page.click('#sign-in')]);
  await page.waitForSelector('body[data-drawn]', { state: 'attached', timeout: DRAWN_TIMEOUT_MS });
  return page;
}

/** Loads each dashboard in turn until `until()` (or `rounds` rounds); each load's ms to all charts drawn. */
export async function loadPages(page: Page, url: string, rounds: number, until: () => boolean = () => false): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < rounds && !until(); r++) {
    for (const d of DASHBOARDS) {
      const t = performance.now();
      await page.goto(`${url}/${d.name}`);
      await page.waitForSelector('body[data-drawn]', { state: 'attached', timeout: DRAWN_TIMEOUT_MS });
      times.push(performance.now() - t);
    }
  }
  return times;
}

export async function preparePageLoad(args: PageLoadArgs): Promise<PreparedLoad> {
  const browser = await launchBrowser();
  try {
    const page = await signIn(browser, args.url, args.user, args.password);
    await loadPages(page, args.url, args.warmupRounds);
    return {
      run: (until) => loadPages(page, args.url, args.rounds === 0 ? Number.POSITIVE_INFINITY : args.rounds, until),
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

if (require.main === module) serveLoad(preparePageLoad);
