import { readFileSync } from 'node:fs';
import { GENERATED_FILE, generateTypes } from './codegen';

describe('generated event types', () => {
  it('are up to date with the .avsc files (run `make codegen` after editing a schema)', () => {
    expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(generateTypes());
  });

  it('map the contract the way the serializer decodes it', () => {
    const text = generateTypes();
    expect(text).toContain("export type PaymentMethod = 'CASH' | 'CARD' | 'MOBILE' | 'GIFT_CARD' | 'OTHER';");
    expect(text).toMatch(/readonly occurred_at: number;/);
    expect(text).toMatch(/readonly promotion_id: null \| string;/);
    expect(text).toMatch(/readonly lines: readonly SaleLine\[\];/);
    expect(text).toContain("'pos.sales': SaleCompleted;");
  });
});
