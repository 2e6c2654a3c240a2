/**
 * The fewest days of history the training accepts (the demo backfills exactly that): worked out
 * by hand from the windows the training needs, and checked against trainOnPanel's own refusal.
 */
import { rollingOrigins } from './backtest';
import { HORIZON, type Panel, dayNumber } from './features';
import { trainOnPanel } from './index';
import { MemoryBlobStore } from './memory-store';
import { MIN_HISTORY_DAYS, lastTrainingOrigin, minimumTrainingDays } from './model';
import { TRAIN_DEFAULTS } from './model-artifact';

/** The days of a panel are all the training's checks look at before it trains. */
function panelOf(days: number): Panel {
  const firstDay = dayNumber('2026-01-01');
  return { series: [], firstDay, days: days + HORIZON, lastObservedDay: firstDay + days - 1, columns: {} as Panel['columns'] };
}

describe('the fewest days of history the training accepts', () => {
  it('is 35 days of features, 7 + 7 of backtest horizon, 2 calibration weeks and their horizon, 7 more per backtest week', () => {
    // 35 (28-day features + a week) + 7 (the first backtest origin's horizon) + 7 (the training
    // targets' horizon before it) + 1 + 14 + 7 - 1 (calibration weeks and their horizon) = 70.
    expect(minimumTrainingDays(1)).toBe(70);
    expect(minimumTrainingDays(4)).toBe(91);
    expect(minimumTrainingDays(1, { validationWeeks: 0 })).toBe(50);
  });

  it('is where the first backtest origin leaves a training origin with full feature history', () => {
    for (const weeks of [1, 2, 4]) {
      const enough = panelOf(minimumTrainingDays(weeks));
      const short = panelOf(minimumTrainingDays(weeks) - 1);
      expect(lastTrainingOrigin(rollingOrigins(enough, weeks)[0]! - HORIZON, TRAIN_DEFAULTS)).toBe(MIN_HISTORY_DAYS);
      expect(lastTrainingOrigin(rollingOrigins(short, weeks)[0]! - HORIZON, TRAIN_DEFAULTS)).toBe(MIN_HISTORY_DAYS - 1);
    }
  });

  it('one day less is refused by the training, with the reason', async () => {
    await expect(trainOnPanel(new MemoryBlobStore(), panelOf(minimumTrainingDays(1) - 1), 1)).rejects.toThrow(/leaves no training history before a 1-week backtest/);
  });
});
