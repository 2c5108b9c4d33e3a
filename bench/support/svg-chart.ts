import { writeFile } from 'node:fs/promises';

export interface ChartPoint {
  readonly x: number;
  readonly y: number;
}

export interface ChartSeries {
  readonly name: string;
  readonly points: readonly ChartPoint[];
}

export interface Chart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  /** Logarithmic axes for figures that span decades (concurrency 1 … 1,024). */
  readonly logX?: boolean;
  readonly logY?: boolean;
}

const WIDTH = 760;
const HEIGHT = 440;
const MARGIN = { left: 80, right: 200, top: 40, bottom: 56 };
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];

const xmlText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const short = (value: number) =>
  value >= 1_000_000 ? `${+(value / 1_000_000).toFixed(1)}M` : value >= 1000 ? `${+(value / 1000).toFixed(1)}k` : `${+value.toFixed(2)}`;

function scale(values: readonly number[], log: boolean, from: number, to: number) {
  const mapped = values.map((value) => (log ? Math.log10(Math.max(value, 1e-9)) : value));
  let low = Math.min(...mapped);
  let high = Math.max(...mapped);
  if (!log) low = Math.min(0, low);
  if (high === low) high = low + 1;
  const at = (value: number) => from + (((log ? Math.log10(Math.max(value, 1e-9)) : value) - low) / (high - low)) * (to - from);
  const ticks = log
    ? Array.from({ length: Math.floor(high) - Math.ceil(low) + 1 }, (_, index) => 10 ** (Math.ceil(low) + index))
    : Array.from({ length: 6 }, (_, index) => low + ((high - low) * index) / 5);
  return { at, ticks };
}

/** A line chart as a standalone SVG file: one line per series, labelled axes, a legend. */
export function renderChart(chart: Chart): string {
  const points = chart.series.flatMap((series) => series.points).filter((point) => Number.isFinite(point.y));
  const x = scale(points.map((point) => point.x), chart.logX ?? false, MARGIN.left, WIDTH - MARGIN.right);
  const y = scale(points.map((point) => point.y), chart.logY ?? false, HEIGHT - MARGIN.bottom, MARGIN.top);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2 - MARGIN.right / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${xmlText(chart.title)}</text>`,
  ];
  for (const tick of y.ticks) {
    const at = y.at(tick).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${at}" y2="${at}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${at}" text-anchor="end" dominant-baseline="middle">${short(tick)}</text>`);
  }
  const xs = [...new Set(points.map((point) => point.x))].sort((a, b) => a - b);
  for (const tick of chart.logX ? xs : x.ticks) {
    const at = x.at(tick).toFixed(1);
    parts.push(`<text x="${at}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle">${short(tick)}</text>`);
  }
  parts.push(
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${HEIGHT - MARGIN.bottom}" y2="${HEIGHT - MARGIN.bottom}" stroke="#111"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${HEIGHT - MARGIN.bottom}" stroke="#111"/>`,
    `<text x="${(MARGIN.left + WIDTH - MARGIN.right) / 2}" y="${HEIGHT - 14}" text-anchor="middle">${xmlText(chart.xLabel)}</text>`,
    `<text transform="translate(18 ${(MARGIN.top + HEIGHT - MARGIN.bottom) / 2}) rotate(-90)" text-anchor="middle">${xmlText(chart.yLabel)}</text>`,
  );
  chart.series.forEach((series, index) => {
    const color = COLORS[index % COLORS.length]!;
    const visible = series.points.filter((point) => Number.isFinite(point.y));
    const path = visible.map((point) => `${x.at(point.x).toFixed(1)},${y.at(point.y).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${path}"/>`);
    for (const point of visible) {
      parts.push(`<circle cx="${x.at(point.x).toFixed(1)}" cy="${y.at(point.y).toFixed(1)}" r="3" fill="${color}"/>`);
    }
    const legendY = MARGIN.top + 10 + index * 18;
    parts.push(`<rect x="${WIDTH - MARGIN.right + 14}" y="${legendY - 6}" width="12" height="12" fill="${color}"/>`);
    parts.push(`<text x="${WIDTH - MARGIN.right + 32}" y="${legendY}" dominant-baseline="middle">${xmlText(series.name)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

export async function writeChart(path: string, chart: Chart): Promise<void> {
  await writeFile(path, renderChart(chart));
}
