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

const WIDTH = 720;
const HEIGHT = 480;
const MARGIN = { left: 80, right: 30, top: 40, bottom: 60 };

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function frontierSvg(title: string, series: readonly FrontierSeries[], xLabel: string, yLabel: string): string {
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(...all.map((p) => p.inventory)) * 1.08;
  const yMax = Math.max(...all.map((p) => p.lost)) * 1.08;
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
  for (let i = 0; i <= 4; i++) {
    const xv = (xMax * i) / 4;
    const yv = (yMax * i) / 4;
    parts.push(`<text x="${x(xv)}" y="${y(0) + 18}" text-anchor="middle">${Math.round(xv).toLocaleString('en')}</text>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y(yv) + 4}" text-anchor="end">${Math.round(yv).toLocaleString('en')}</text>`);
  }
  series.forEach((s, k) => {
    const sorted = [...s.points].sort((a, b) => a.inventory - b.inventory);
    parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${sorted.map((p) => `${x(p.inventory).toFixed(1)},${y(p.lost).toFixed(1)}`).join(' ')}"/>`);
    for (const p of sorted) {
      parts.push(`<circle cx="${x(p.inventory).toFixed(1)}" cy="${y(p.lost).toFixed(1)}" r="4" fill="${s.colour}"/>`);
      parts.push(`<text x="${(x(p.inventory) + 6).toFixed(1)}" y="${(y(p.lost) - 6).toFixed(1)}" fill="${s.colour}">${escape(p.label)}</text>`);
    }
    parts.push(`<rect x="${WIDTH - MARGIN.right - 170}" y="${MARGIN.top + k * 20}" width="12" height="12" fill="${s.colour}"/>`);
    parts.push(`<text x="${WIDTH - MARGIN.right - 152}" y="${MARGIN.top + k * 20 + 11}">${escape(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
