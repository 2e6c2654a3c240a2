/**
 * The service-level frontier as a standalone SVG (no script, no CDN): average inventory value at
 * cost on x, lost units on y, one line per policy, each point labelled with its setting.
 */
export interface FrontierPoint {
  readonly label: string;
  readonly inventory: number;
  readonly lost: number;
}

export interface FrontierSeries {
  readonly name: string;
  readonly colour: string;
  readonly points: readonly FrontierPoint[];
}

/** The targets' corner: a policy inside the box from the origin to it meets both at once. */
export interface FrontierTarget {
  readonly label: string;
  readonly inventory: number;
  readonly lost: number;
}

const WIDTH = 720;
const HEIGHT = 480;
const MARGIN = { left: 80, right: 30, top: 40, bottom: 60 };

/**
 * Axis ticks at 1, 2 or 5 times a power of ten, from 0 past `max`, about `count` of them: a reader
 * reads 4,000 off an axis, not 4,251.
 */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; ticks.length === 0 || ticks[ticks.length - 1]! < max; v += step) ticks.push(v);
  return ticks;
}

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function frontierSvg(title: string, series: readonly FrontierSeries[], xLabel: string, yLabel: string, target?: FrontierTarget): string {
  const all = series.flatMap((s) => s.points);
  const xTicks = niceTicks(Math.max(...all.map((p) => p.inventory)) * 1.05);
  const yTicks = niceTicks(Math.max(...all.map((p) => p.lost)) * 1.05);
  const xMax = xTicks[xTicks.length - 1]!;
  const yMax = yTicks[yTicks.length - 1]!;
  const x = (v: number): number => MARGIN.left + (v / xMax) * (WIDTH - MARGIN.left - MARGIN.right);
  const y = (v: number): number => HEIGHT - MARGIN.bottom - (v / yMax) * (HEIGHT - MARGIN.top - MARGIN.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="14">${escape(title)}</text>`,
    `<line x1="${MARGIN.left}" y1="${y(0)}" x2="${WIDTH - MARGIN.right}" y2="${y(0)}" stroke="black"/>`,
    `<line x1="${MARGIN.left}" y1="${y(0)}" x2="${MARGIN.left}" y2="${MARGIN.top}" stroke="black"/>`,
    `<text x="${(MARGIN.left + WIDTH - MARGIN.right) / 2}" y="${HEIGHT - 15}" text-anchor="middle">${escape(xLabel)}</text>`,
    `<text transform="translate(18 ${(MARGIN.top + HEIGHT - MARGIN.bottom) / 2}) rotate(-90)" text-anchor="middle">${escape(yLabel)}</text>`,
  ];
  for (const xv of xTicks) parts.push(`<text x="${x(xv)}" y="${y(0) + 18}" text-anchor="middle">${xv.toLocaleString('en')}</text>`);
  for (const yv of yTicks) {
    parts.push(`<line x1="${MARGIN.left}" y1="${y(yv)}" x2="${WIDTH - MARGIN.right}" y2="${y(yv)}" stroke="#ddd"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y(yv) + 4}" text-anchor="end">${yv.toLocaleString('en')}</text>`);
  }
  if (target !== undefined) {
    const [tx, ty] = [x(target.inventory), y(target.lost)];
    parts.push(`<rect x="${MARGIN.left}" y="${ty.toFixed(1)}" width="${(tx - MARGIN.left).toFixed(1)}" height="${(y(0) - ty).toFixed(1)}" fill="#2a2" fill-opacity="0.08" stroke="#2a2" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${(MARGIN.left + 6).toFixed(1)}" y="${(ty + 14).toFixed(1)}" fill="#272">${escape(target.label)}</text>`);
  }
  series.forEach((s, k) => {
    const sorted = [...s.points].sort((a, b) => a.inventory - b.inventory);
    parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${sorted.map((p) => `${x(p.inventory).toFixed(1)},${y(p.lost).toFixed(1)}`).join(' ')}"/>`);
    for (const p of sorted) {
      parts.push(`<circle cx="${x(p.inventory).toFixed(1)}" cy="${y(p.lost).toFixed(1)}" r="4" fill="${s.colour}"/>`);
      parts.push(`<text x="${(x(p.inventory) + 6).toFixed(1)}" y="${(y(p.lost) - 6).toFixed(1)}" fill="${s.colour}">${escape(p.label)}</text>`);
    }
    // The legend's right edge stays inside the plot: about 7 px per character at 12 px.
    const legendX = WIDTH - MARGIN.right - 20 - Math.max(...series.map((t) => t.name.length)) * 7;
    parts.push(`<rect x="${legendX}" y="${MARGIN.top + k * 20}" width="12" height="12" fill="${s.colour}"/>`);
    parts.push(`<text x="${legendX + 18}" y="${MARGIN.top + k * 20 + 11}">${escape(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
