// A standalone SVG: latency percentiles against the offered frame rate, one
// panel per measurement (receive → handoff, receive → Kafka ack), one line per
// percentile, solid for the inline engine and dashed for the thread engine.
// Both axes are logarithmic. No dependencies.

export interface ChartPoint {
  mode: string;
  /** x: frames/s (the simulator's measured send rate). */
  rate: number;
  /** y: seconds per percentile label. */
  values: Record<string, number>;
}

export interface ChartPanel {
  title: string;
  points: ChartPoint[];
  /** A horizontal target line, seconds. */
  target?: { value: number; label: string };
}

const PERCENTILES = ['p50', 'p90', 'p99', 'p99.9', 'max'] as const;
const COLORS: Record<(typeof PERCENTILES)[number], string> = {
  p50: '#1b9e77',
  p90: '#7570b3',
  p99: '#d95f02',
  'p99.9': '#e7298a',
  max: '#666666',
};
const DASH: Record<string, string> = { inline: '', thread: '6 4' };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function fmtRate(v: number): string {
  return v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : `${v}`;
}

function fmtTime(s: number): string {
  return s >= 1 ? `${s} s` : s >= 1e-3 ? `${+(s * 1e3).toPrecision(3)} ms` : `${+(s * 1e6).toPrecision(3)} µs`;
}

/** Powers of ten covering [lo, hi]. */
function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

export function latencyChart(panels: ChartPanel[], subtitle: string): string {
  const W = 520;
  const H = 360;
  const M = { l: 70, r: 20, t: 40, b: 50 };
  const legendH = 60;
  const width = W * panels.length;
  const height = H + legendH + 30;
  const all = panels.flatMap((p) => p.points);
  const xs = all.map((p) => p.rate).filter((v) => v > 0);
  const ys = all
    .flatMap((p) => Object.values(p.values))
    .concat(panels.flatMap((p) => (p.target ? [p.target.value] : [])))
    .filter((v) => v > 0 && Number.isFinite(v));
  const xTicks = decades(Math.min(...xs, 1e3), Math.max(...xs, 1e4));
  const yTicks = decades(Math.min(...ys, 1e-5), Math.max(...ys, 1e-2));
  const [x0, x1] = [Math.log10(xTicks[0]!), Math.log10(xTicks[xTicks.length - 1]!)];
  const [y0, y1] = [Math.log10(yTicks[0]!), Math.log10(yTicks[yTicks.length - 1]!)];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="${height - 8}" text-anchor="middle" fill="#555">${esc(subtitle)}</text>`,
  ];
  panels.forEach((panel, i) => {
    const ox = i * W;
    const px = (v: number): number => ox + M.l + ((Math.log10(v) - x0) / (x1 - x0)) * (W - M.l - M.r);
    const py = (v: number): number => M.t + (1 - (Math.log10(v) - y0) / (y1 - y0)) * (H - M.t - M.b);
    out.push(
      `<text x="${ox + W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(panel.title)}</text>`,
    );
    for (const t of xTicks) {
      out.push(
        `<line x1="${px(t)}" y1="${M.t}" x2="${px(t)}" y2="${H - M.b}" stroke="#eee"/>`,
        `<text x="${px(t)}" y="${H - M.b + 16}" text-anchor="middle">${fmtRate(t)}</text>`,
      );
    }
    for (const t of yTicks) {
      out.push(
        `<line x1="${ox + M.l}" y1="${py(t)}" x2="${ox + W - M.r}" y2="${py(t)}" stroke="#eee"/>`,
        `<text x="${ox + M.l - 6}" y="${py(t) + 4}" text-anchor="end">${fmtTime(t)}</text>`,
      );
    }
    out.push(
      `<rect x="${ox + M.l}" y="${M.t}" width="${W - M.l - M.r}" height="${H - M.t - M.b}" fill="none" stroke="#999"/>`,
      `<text x="${ox + (W + M.l - M.r) / 2}" y="${H - M.b + 34}" text-anchor="middle">offered frames/s (log)</text>`,
    );
    if (panel.target) {
      const y = py(panel.target.value);
      out.push(
        `<line x1="${ox + M.l}" y1="${y}" x2="${ox + W - M.r}" y2="${y}" stroke="#c00" stroke-dasharray="2 3"/>`,
        `<text x="${ox + W - M.r - 4}" y="${y - 4}" text-anchor="end" fill="#c00">${esc(panel.target.label)}</text>`,
      );
    }
    const modes = [...new Set(panel.points.map((p) => p.mode))];
    for (const mode of modes) {
      const pts = panel.points.filter((p) => p.mode === mode && p.rate > 0).sort((a, b) => a.rate - b.rate);
      for (const pct of PERCENTILES) {
        const xy = pts.filter((p) => (p.values[pct] ?? 0) > 0).map((p) => [px(p.rate), py(p.values[pct]!)] as const);
        if (xy.length === 0) continue;
        const dash = DASH[mode] ?? '2 2';
        out.push(
          `<polyline fill="none" stroke="${COLORS[pct]}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`,
          ...xy.map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="2.5" fill="${COLORS[pct]}"/>`),
        );
      }
    }
  });
  // Legend: percentiles by colour, modes by dash.
  let lx = 20;
  const ly = H + 20;
  for (const pct of PERCENTILES) {
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${COLORS[pct]}" stroke-width="2"/>`,
      `<text x="${lx + 30}" y="${ly + 4}">${pct}</text>`,
    );
    lx += 80;
  }
  lx = 20;
  for (const [mode, dash] of Object.entries(DASH)) {
    out.push(
      `<line x1="${lx}" y1="${ly + 24}" x2="${lx + 24}" y2="${ly + 24}" stroke="#333" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      `<text x="${lx + 30}" y="${ly + 28}">engine ${mode}</text>`,
    );
    lx += 130;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
