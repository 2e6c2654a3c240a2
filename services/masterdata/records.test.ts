import { parseCsv } from './csv';
import { describeRowIssue, masterDataRecords } from './records';

const NOW = Date.UTC(2026, 11, 6, 4);

function rowsOf(text: string) {
  const parsed = parseCsv(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.rows.map((r, i) => ({ row: i + 1, line: r.line, values: r.values }));
}

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, and keeps each row’s line', () => {
    const parsed = parseCsv('\ufeffa,b\r\n1,"x, ""y"""\n\n2,"two\nlines"\n3,z');
    expect(parsed).toEqual({
      ok: true,
      columns: ['a', 'b'],
      rows: [
        { line: 2, values: { a: '1', b: 'x, "y"' } },
        { line: 4, values: { a: '2', b: 'two\nlines' } },
        { line: 6, values: { a: '3', b: 'z' } },
      ],
    });
  });

  it('names the line of a row with too few fields and of an unclosed quote', () => {
    expect(parseCsv('a,b\n1,2\n3\n')).toEqual({ ok: false, line: 3, reason: '1 fields, but the header names 2 columns' });
    expect(parseCsv('a\n"open\n')).toMatchObject({ ok: false, line: 2 });
  });
});

describe('masterDataRecords', () => {
  const STORES = [
    'store_id,name,region,time_zone,currency,size_class,opened_on,opening_hours,vat_rate',
    'S900,Leeds Small S900,United Kingdom,Europe/London,GBP,small,2025-04-01,"1-5 08:00-21:00, 6 09:00-19:00",0.2',
    'S901,Nowhere,Nowhere,Mars/Olympus,GBP,SMALL,2025-02-30,1-7 08:00-21:00,20',
    'S902,Bad hours,France,Europe/Paris,eur,HUGE,2025-01-01,Mon-Fri 8-21,',
    'S900,Leeds again,United Kingdom,Europe/London,GBP,SMALL,2025-04-01,1-5 08:00-21:00,',
  ].join('\n');

  it('builds the Avro record of a good row: weekday ranges, dates as days, upper-case size class', () => {
    const { records } = masterDataRecords('stores', rowsOf(STORES).slice(0, 1), NOW);
    expect(records).toEqual([
      {
        row: 1,
        line: 2,
        key: 'S900',
        record: {
          store_id: 'S900',
          name: 'Leeds Small S900',
          region: 'United Kingdom',
          time_zone: 'Europe/London',
          opening_hours: [1, 2, 3, 4, 5].map((d) => ({ day_of_week: d, opens_at_minute: 480, closes_at_minute: 1260 })).concat([{ day_of_week: 6, opens_at_minute: 540, closes_at_minute: 1140 }]),
          size_class: 'SMALL',
          currency: 'GBP',
          opened_on: Date.UTC(2025, 3, 1) / 86_400_000,
          vat_rate: 0.2,
          holiday_calendar: null,
          updated_at: NOW,
        },
      },
    ]);
  });

  it('names the row, line and field of every problem, and a repeated key', () => {
    const { records, issues } = masterDataRecords('stores', rowsOf(STORES), NOW);
    expect(records.map((r) => r.key)).toEqual(['S900']);
    expect(issues.map(describeRowIssue)).toEqual([
      'row 2 (line 3), field time_zone: "Mars/Olympus" is not an IANA time zone (e.g. Europe/Paris)',
      'row 2 (line 3), field opened_on: expected a date as YYYY-MM-DD, got "2025-02-30"',
      expect.stringMatching(/^row 2 \(line 3\), field holiday_calendar: is required for region "Nowhere", which is not in the chain's region table \(France, .*\): say which holidays its stores keep \(western or muslim\)$/),
      'row 3 (line 4), field opening_hours: "Mon-Fri 8-21" is not "<days> HH:MM-HH:MM" (e.g. "1-5 08:00-21:00", ISO weekdays 1 = Monday)',
      'row 3 (line 4), field size_class: expected one of EXPRESS, SMALL, MEDIUM, LARGE, HYPERMARKET, got "HUGE"',
      'row 4 (line 5), field store_id: repeats the store_id of row 1',
    ]);
  });

  it('runs the contract on rows whose fields read well: a VAT rate of 20 and a lower-case currency', () => {
    const rows = [
      { row: 1, values: { store_id: 'S1', name: 'n', region: 'r', time_zone: 'UTC', currency: 'eur', size_class: 'SMALL', opened_on: '2025-01-01', opening_hours: [], vat_rate: 20, holiday_calendar: 'western' } },
    ];
    expect(masterDataRecords('stores', rows, NOW).issues.map(describeRowIssue)).toEqual([
      'row 1, field vat_rate: must be a fraction from 0 to below 1 (0.2 = 20%), got 20',
      'row 1, field currency: must be an ISO 4217 code such as EUR',
    ]);
  });

  it('takes a holiday calendar for a region outside the region table, and refuses one the rules do not know', () => {
    const store = { store_id: 'S1', name: 'n', time_zone: 'Europe/Rome', currency: 'EUR', size_class: 'SMALL', opened_on: '2025-01-01', opening_hours: [] };
    const { records, issues } = masterDataRecords(
      'stores',
      [
        { row: 1, values: { ...store, region: 'Italy', holiday_calendar: 'Western' } },
        { row: 2, values: { ...store, store_id: 'S2', region: 'France' } },
        { row: 3, values: { ...store, store_id: 'S3', region: 'Italy', holiday_calendar: 'catholic' } },
      ],
      NOW,
    );
    expect(records.map((r) => [r.key, (r.record as { holiday_calendar: string | null }).holiday_calendar])).toEqual([
      ['S1', 'western'],
      ['S2', null],
    ]);
    expect(issues.map(describeRowIssue)).toEqual(['row 3, field holiday_calendar: expected one of western, muslim, got "catholic"']);
  });

  it('reads products and rates from JSON values, and refuses a negative rate and an unknown field', () => {
    const products = masterDataRecords('products', [{ row: 1, values: { sku: 'X1', name: 'n', category: 'c', brand: 'b', unit_cost: 120, price: '199', currency: 'EUR', perishable: 'yes' } }], NOW);
    expect(products.issues).toEqual([]);
    expect(products.records[0]!.record).toMatchObject({ sku: 'X1', price: 199, perishable: true, shelf_life_days: null });
    const rates = masterDataRecords(
      'rates',
      [
        { row: 1, values: { currency: 'GBP', base_currency: 'EUR', rate_date: '2026-03-16', rate: 0.85 } },
        { row: 2, values: { currency: 'GBP', base_currency: 'EUR', rate_date: '2026-03-17', rate: -0.85, colour: 'red' } },
      ],
      NOW,
    );
    expect(rates.records.map((r) => r.key)).toEqual([`GBP:${Date.UTC(2026, 2, 16) / 86_400_000}`]);
    expect(rates.issues.map(describeRowIssue)).toEqual(['row 2, field colour: unknown field', expect.stringMatching(/^row 2, field rate: must be a positive number/)]);
  });
});
