/**
 * The BI closing job on a timer, for `shelfstream run all` (the process that owns embedded
 * ClickHouse, and whose warehouse processor's progress the job follows through the facts). Not a
 * refreshable materialized view: a closing runs one query per store with the store's time zone as
 * a constant, which a single view statement cannot. A failed cycle is logged and the next one
 * retries (every step is idempotent).
 */
import type { ClickHouseClient } from '../../lib/clients/clickhouse';
import type { Config } from '../../lib/config';
import { describeError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { createClosingJob } from './closing';

export function startClosingSchedule(config: Config, client: ClickHouseClient, logger: Logger): { stop(): Promise<void> } {
  const interval = config.clickhouseModel.closingIntervalMs;
  if (interval === 0) return { stop: async () => undefined };
  const log = logger.child({ component: 'bi-closing' });
  const job = createClosingJob(client, {
    database: config.clickhouse.database,
    allowedLatenessMs: config.streams.allowedLatenessMs,
    calendarFrom: config.clickhouseModel.calendar.from,
    calendarTo: config.clickhouseModel.calendar.to,
  });
  let running: Promise<void> | undefined;
  const tick = (): void => {
    if (running) return; // a long cycle (a rebuilt year) is not overlapped
    running = job
      .cycle()
      .then((outcome) => {
        if (outcome.vatRefreshError) log.warn({ err: describeError(outcome.vatRefreshError) }, 'new UTC offsets written; vat_rate_periods shows them at its next scheduled refresh');
        if (outcome.closed > 0) log.info({ closed: outcome.closed, watermark: outcome.watermarkMs }, 'business days closed');
      })
      .catch((error: unknown) => log.error({ err: describeError(error) }, 'closing business days failed; the next cycle retries'))
      .finally(() => (running = undefined));
  };
  const timer = setInterval(tick, interval);
  tick();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
