import { frontierSvg, niceTicks } from './impact-plot';

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 times a power of ten, from 0 to the first tick at or past the maximum', () => {
    expect(niceTicks(17_006)).toEqual([0, 5_000, 10_000, 15_000, 20_000]);
    expect(niceTicks(5_730)).toEqual([0, 2_000, 4_000, 6_000]);
    expect(niceTicks(0.9)).toEqual([0, 0.2, 0.4, 0.6000000000000001, 0.8, 1]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });
});

describe('frontierSvg', () => {
  it('draws the targets box from the origin to the targets corner, and keeps the legend inside the width', () => {
    const svg = frontierSvg('t', [{ name: 'ShelfStream advice (service level)', colour: '#236', points: [{ label: '0.9', inventory: 1000, lost: 100 }] }], 'x', 'y', {
      label: 'targets',
      inventory: 500,
      lost: 50,
    });
    // x axis to 1,500 (1,050 needs steps of 500) over 80..690 px, y axis to 150 (steps of 50) over
    // 420..40 px: the corner (500, 50) is at (80 + 610 / 3, 420 - 380 / 3) = (283.3, 293.3).
    expect(svg).toContain('<rect x="80" y="293.3" width="203.3" height="126.7"');
    const legend = /<rect x="(\d+)" y="40" width="12"/.exec(svg);
    expect(Number(legend![1]) + 18 + 'ShelfStream advice (service level)'.length * 7).toBeLessThanOrEqual(720);
  });
});
