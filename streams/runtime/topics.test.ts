import { TopicMapping } from './topics';

describe('stand-in topics', () => {
  it('map the catalogue topics a processor reads to the topics read, each with its contract', () => {
    const mapping = new TopicMapping({ 'pos.sales': 'test.sales' });
    expect(mapping.inputs(['pos.sales', 'pos.voids'])).toEqual({ inputs: ['test.sales', 'pos.voids'], contracts: { 'test.sales': 'pos.sales', 'pos.voids': 'pos.voids' } });
    expect([...mapping.catalogueOf(['pos.sales', 'pos.voids'])]).toEqual([
      ['test.sales', 'pos.sales'],
      ['pos.voids', 'pos.voids'],
    ]);
    expect(mapping.standInContracts()).toEqual({ 'test.sales': 'pos.sales' });
    expect(mapping.hasStandIns).toBe(true);
    expect(new TopicMapping().read('pos.sales')).toBe('pos.sales');
  });
});
