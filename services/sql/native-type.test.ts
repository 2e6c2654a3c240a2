import { fixedWidth, parseNativeType, resolveAlias } from './native-type';

describe('parseNativeType', () => {
  it('reads nested types, named tuple elements and literal arguments', () => {
    const type = parseNativeType("Tuple(a Nullable(Decimal(18, 2)), `order id` Array(LowCardinality(String)), Enum8('a,b' = 1, 'c' = 2), DateTime64(3, 'UTC'))");
    expect(type.name).toBe('Tuple');
    expect(type.args.map((a) => a.name)).toEqual(['Nullable', 'Array', 'Enum8', 'DateTime64']);
    expect(type.args[0]!.args[0]).toMatchObject({ name: 'Decimal', rawArgs: ['18', '2'] });
    expect(type.args[1]!.args[0]!.args[0]!.name).toBe('String');
    // The comma inside the quoted enum name does not split the arguments.
    expect(type.args[2]!.rawArgs).toEqual(["'a,b' = 1", "'c' = 2"]);
  });

  it('gives the width of fixed-size values as ClickHouse stores them', () => {
    expect(['Decimal(9, 2)', 'Decimal(18, 2)', 'Decimal(38, 10)', 'Decimal(76, 0)', 'FixedString(3)', 'DateTime64(3)', 'IntervalDay', 'String'].map((t) => fixedWidth(parseNativeType(t)))).toEqual([
      4, 8, 16, 32, 3, 8, 8, undefined,
    ]);
  });

  it('expands geo types and SimpleAggregateFunction to what they are written as', () => {
    expect(resolveAlias(parseNativeType('Ring'))).toMatchObject({ name: 'Array', args: [{ name: 'Tuple' }] });
    expect(resolveAlias(parseNativeType('SimpleAggregateFunction(sum, UInt64)'))).toMatchObject({ name: 'UInt64' });
  });

  it('refuses text that is not a type, naming it', () => {
    expect(() => parseNativeType('Array(UInt8')).toThrow('Native column type "Array(UInt8": unbalanced brackets');
  });
});
