/**
 * The chart for the README, drawn from the results (hand-rolled SVG, no service): one panel per scenario,
 * a bar per arm at its median ratio to raw ws on a log scale, a whisker for the min–max over rounds, and
 * the noise arm's band shaded around 1.0.
 */
import { armInfo } from '../arms/index.ts';
import { CPU_METRICS, type Results } from './report.ts';
import { ratios, spread } from './stats.ts';

const W = 420;
const LABEL = 130;
const ROW = 16;
const LO = 0.05;
const HI = 5;
const COLORS: Record<string, string> = {
  reference: '#888',
  noise: '#bbb',
  wsgate: '#2b7bb9',
  peer: '#d9822b',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function chart(r: Results): string {
  const arms = r.arms.filter((a) => a !== 'raw');
  const panelH = 28 + arms.length * ROW + 22;
  const cols = 2;
  const plotW = W - LABEL - 20;
  const x = (v: number) => LABEL + (Math.log(Math.min(HI, Math.max(LO, v)) / LO) / Math.log(HI / LO)) * plotW;
  const parts: string[] = [];
  CPU_METRICS.forEach(([metric, title], i) => {
    const ox = (i % cols) * W;
    const oy = 40 + Math.floor(i / cols) * panelH;
    const g: string[] = [`<text x="${LABEL}" y="16" font-weight="bold">${esc(title)}</text>`];
    const noise = spread(ratios(r.rounds, metric, 'raw2'));
    if (noise.n) {
      const a = x(Math.min(1, noise.min));
      g.push(
        `<rect x="${a}" y="22" width="${Math.max(1, x(Math.max(1, noise.max)) - a)}" height="${arms.length * ROW + 4}" fill="#eee"/>`,
      );
    }
    for (const tick of [0.1, 0.5, 1, 2]) {
      g.push(
        `<line x1="${x(tick)}" x2="${x(tick)}" y1="22" y2="${26 + arms.length * ROW}" stroke="${tick === 1 ? '#333' : '#ccc'}"/>`,
      );
      g.push(
        `<text x="${x(tick)}" y="${40 + arms.length * ROW}" text-anchor="middle" fill="#666">${tick}x</text>`,
      );
    }
    arms.forEach((a, j) => {
      const y = 24 + j * ROW;
      const s = spread(ratios(r.rounds, metric, a));
      const info = armInfo(a);
      g.push(`<text x="${LABEL - 6}" y="${y + 11}" text-anchor="end">${esc(info.label)}</text>`);
      if (!s.n) return;
      g.push(
        `<rect x="${x(LO)}" y="${y + 2}" width="${x(s.median) - x(LO)}" height="${ROW - 5}" fill="${COLORS[info.kind]}"/>`,
      );
      g.push(`<line x1="${x(s.min)}" x2="${x(s.max)}" y1="${y + 7}" y2="${y + 7}" stroke="#000"/>`);
      g.push(
        `<text x="${Math.min(W - 36, x(s.max) + 4)}" y="${y + 11}" fill="#333">${s.median.toFixed(2)}</text>`,
      );
    });
    parts.push(`<g transform="translate(${ox},${oy})">${g.join('')}</g>`);
  });
  // The legend takes the free cell after the last panel.
  const free = CPU_METRICS.length;
  const legend = [
    ['wsgate', 'wsgate (core and adapters)'],
    ['peer', 'other libraries'],
    ['noise', 'second raw ws arm (noise)'],
  ].map(
    ([kind, text], j) =>
      `<rect x="${LABEL}" y="${30 + j * 20}" width="14" height="11" fill="${COLORS[kind!]}"/><text x="${LABEL + 20}" y="${40 + j * 20}">${text}</text>`,
  );
  legend.push(
    `<text x="${LABEL}" y="${40 + 3 * 20}" fill="#666">bars clipped to ${LO}x-${HI}x; 1x = raw ws</text>`,
  );
  parts.push(
    `<g transform="translate(${(free % cols) * W},${40 + Math.floor(free / cols) * panelH})">${legend.join('')}</g>`,
  );
  const height = 40 + Math.ceil((free + 1) / cols) * panelH; // the panels and the legend's cell
  const title = `Server CPU per operation, ratio to raw ws (log scale; median, min–max over ${r.rounds.length} round(s); grey band: noise arm)`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${cols * W}" height="${height}" font-family="sans-serif" font-size="11" role="img" aria-labelledby="title">
<title id="title">${esc(title)}</title>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="22" font-size="13" font-weight="bold">${esc(title)}</text>
${parts.join('\n')}
</svg>
`;
}
