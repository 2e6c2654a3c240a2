import { stockClosingRange } from './inventory-closing';

describe('the days a stock closing writes again', () => {
  it('runs from the earliest due day to the latest closed one: books carry, so a late day moves every later one', () => {
    // days 100..110 closed; day 104 touched late: 104..110 again
    expect(stockClosingRange([104], 110)).toEqual({ from: 104, to: 110 });
  });

  it('starts the day after the last closing when the due days come later, so quiet days between get their rows', () => {
    expect(stockClosingRange([113, 114], 110)).toEqual({ from: 111, to: 114 });
  });

  it('is the due days alone on a first closing', () => {
    expect(stockClosingRange([50, 48, 49], undefined)).toEqual({ from: 48, to: 50 });
  });
});
