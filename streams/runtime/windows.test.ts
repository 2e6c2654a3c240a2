import { Watermark, hopping, tumbling, windowStarts } from './windows';

describe('windows', () => {
  it('assigns a timestamp to one tumbling window', () => {
    expect(windowStarts(tumbling(60_000), 125_000)).toEqual([120_000]);
  });

  it('assigns a timestamp to every hopping window that contains it', () => {
    expect(windowStarts(hopping(3_600_000, 900_000), 3_700_000)).toEqual([900_000, 1_800_000, 2_700_000, 3_600_000]);
    expect(() => hopping(60_000, 7_000)).toThrow(/must divide/);
  });

  it('closes a window once the watermark passes its end plus the allowed lateness', () => {
    const wm = new Watermark({ maxOutOfOrderMs: 5_000, allowedLatenessMs: 10_000 });
    wm.observe(70_000);
    expect(wm.valueMs).toBe(65_000);
    expect(wm.isClosed(60_000)).toBe(false);
    wm.observe(74_999);
    expect(wm.isClosed(60_000)).toBe(false);
    wm.observe(75_000);
    expect(wm.isClosed(60_000)).toBe(true);
    wm.observe(1_000); // older events never move it back
    expect(wm.valueMs).toBe(70_000);
  });
});
