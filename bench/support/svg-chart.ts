/**
 * Charts for benchmark results: a self-contained SVG file (no scripts, no
 * fonts to fetch) that a browser or GitHub renders, written beside the
 * results' JSON so a reader sees the curve and not only the table.
 *
 *   await writeChart('bench/results/x.svg', {
 *     title: 'Publish lag', xLabel: 'events/s', yLabel: 'ms',
 *     series: [{ name: 'p99', points: [{ x: 1000, y: 4.2 }, { x: 5000, y: 6.1 }] }],
 *   });
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface ChartPoint {
  readonly x: number;
  readonly y: number;
}

export interface ChartSeries {
  readonly name: string;
  readonly points: readonly ChartPoint[];
}

export type ChartScale = 'linear' | 'log';

export interface Chart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  /** `line` joins each series' points in x order; `bar` groups one bar per series at each x. */
  readonly kind?: 'line' | 'bar';
  /** Log scales need positive values; a line chart's x axis may be log (concurrency 1 … 1,024). */
  readonly xScale?: ChartScale;
  readonly yScale?: ChartScale;
}

const WIDTH = 720;
const HEIGHT = 420;
const MARGIN = { top: 48, right: 180, bottom: 56, left: 84 };
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_HEIGHT = HEIGHT - MARGIN.top - MARGIN.bottom;
/** Tableau 10: distinguishable, and readable for the common colour blindnesses. */
const COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Writes the chart as an SVG file, creating its directory. */
export async function writeChart(path: string, chart: Chart): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderChart(chart));
}

/** The chart as an SVG document. */
export function renderChart(chart: Chart): string {
  const kind = chart.kind ?? 'line';
  const points = chart.series.flatMap((series) => series.points);
  if (points.length === 0) throw new Error(`chart "${chart.title}" has no points`);
  const xs = [...new Set(points.map((point) => point.x))].sort((a, b) => a - b);
  const yScale = scale(chart.yScale ?? 'linear', [kind === 'bar' ? 0 : Math.min(...points.map((p) => p.y)), Math.max(...points.map((p) => p.y))], [PLOT_HEIGHT, 0]);
  const body: string[] = [];

  for (const tick of yScale.ticks) {
    const y = MARGIN.top + yScale.at(tick);
    body.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_WIDTH}" y1="${y}" y2="${y}" stroke="#e0e0e0"/>`);
    body.push(`<text x="${MARGIN.left - 8}" y="${y + 4}" text-anchor="end">${formatNumber(tick)}</text>`);
  }

  if (kind === 'bar') {
    const slot = PLOT_WIDTH / xs.length;
    const barWidth = (slot * 0.8) / chart.series.length;
    xs.forEach((x, slotIndex) => {
      const left = round(MARGIN.left + slot * slotIndex + slot * 0.1);
      body.push(label(left + slot * 0.4, MARGIN.top + PLOT_HEIGHT + 18, formatNumber(x)));
      chart.series.forEach((series, seriesIndex) => {
        const point = series.points.find((p) => p.x === x);
        if (!point) return;
        const top = MARGIN.top + yScale.at(point.y);
        const height = MARGIN.top + PLOT_HEIGHT - top;
        body.push(
 `<rect x="${round(left + barWidth * seriesIndex)}" y="${top}" width="${round(barWidth)}" height="${round(height)}" fill="${colour(seriesIndex)}"><title>${escapeXml(series.name)}: ${formatNumber(point.y)}</title></rect>`,
        );
      });
    });
  } else {
    const xScale = scale(chart.xScale ?? 'linear', [xs[0]!, xs.at(-1)!], [0, PLOT_WIDTH], xs.length <= 12);
    // Few distinct x values (rates, concurrencies) are labelled as they are.
    const xTicks = xs.length <= 12 ? xs : xScale.ticks;
    for (const tick of xTicks) body.push(label(MARGIN.left + xScale.at(tick), MARGIN.top + PLOT_HEIGHT + 18, formatNumber(tick)));
    chart.series.forEach((series, seriesIndex) => {
      const sorted = [...series.points].sort((a, b) => a.x - b.x);
      const coordinates = sorted.map((p) => `${MARGIN.left + xScale.at(p.x)},${MARGIN.top + yScale.at(p.y)}`);
      body.push(`<polyline points="${coordinates.join(' ')}" fill="none" stroke="${colour(seriesIndex)}" stroke-width="2"/>`);
      sorted.forEach((p, index) => {
        const [cx, cy] = coordinates[index]!.split(',');
        body.push(`<circle cx="${cx}" cy="${cy}" r="3.5" fill="${colour(seriesIndex)}"><title>${escapeXml(series.name)}: ${formatNumber(p.x)} → ${formatNumber(p.y)}</title></circle>`);
      });
    });
  }

  chart.series.forEach((series, index) => {
    const y = MARGIN.top + 8 + index * 20;
    const x = MARGIN.left + PLOT_WIDTH + 16;
    body.push(`<rect x="${x}" y="${y - 9}" width="12" height="12" fill="${colour(index)}"/>`);
    body.push(`<text x="${x + 18}" y="${y + 2}">${escapeXml(series.name)}</text>`);
  });

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, sans-serif" font-size="12" fill="#333">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="26" text-anchor="middle" font-size="16" font-weight="600">${escapeXml(chart.title)}</text>`,
    ...body,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + PLOT_HEIGHT}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_WIDTH}" y1="${MARGIN.top + PLOT_HEIGHT}" y2="${MARGIN.top + PLOT_HEIGHT}" stroke="#333"/>`,
    label(MARGIN.left + PLOT_WIDTH / 2, HEIGHT - 14, escapeXml(chart.xLabel)),
    `<text transform="translate(16 ${MARGIN.top + PLOT_HEIGHT / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

interface Scale {
  /** Pixel offset of a value inside the plot. */
  at(value: number): number;
  readonly ticks: readonly number[];
}

/** `exact`: a log axis spans the data, not whole decades (its ticks are the data's own). */
function scale(kind: ChartScale, [low, high]: readonly [number, number], [from, to]: readonly [number, number], exact = false): Scale {
  if (kind === 'log') {
    if (low <= 0) throw new Error('a log scale needs positive values');
    const min = exact ? low : 10 ** Math.floor(Math.log10(low));
    const max = exact && high > low ? high : 10 ** Math.ceil(Math.log10(high === low ? high * 10 : high));
    const ticks: number[] = [];
    for (let tick = min; tick <= max; tick *= 10) ticks.push(tick);
    const span = Math.log10(max) - Math.log10(min);
    return { ticks, at: (value) => round(from + ((Math.log10(value) - Math.log10(min)) / span) * (to - from)) };
  }
  const step = niceStep((high - Math.min(low, 0)) / 5 || 1);
  const min = Math.min(0, Math.floor(low / step) * step);
  const max = Math.max(step, Math.ceil(high / step) * step);
  const ticks: number[] = [];
  for (let tick = min; tick <= max + step / 2; tick += step) ticks.push(Number(tick.toPrecision(12)));
  return { ticks, at: (value) => round(from + ((value - min) / (max - min)) * (to - from)) };
}

/** 1, 2 or 5 times a power of ten: steps a reader can add up. */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

/** Tenths of a pixel are as fine as a screen draws. */
function round(pixels: number): number {
  return Math.round(pixels * 10) / 10;
}

function label(x: number, y: number, text: string): string {
  return `<text x="${x}" y="${y}" text-anchor="middle">${text}</text>`;
}

function colour(index: number): string {
  return COLOURS[index % COLOURS.length]!;
}

function formatNumber(value: number): string {
  const magnitude = Math.abs(value);
  return value.toLocaleString('en-US', { maximumFractionDigits: magnitude < 10 ? 2 : magnitude < 100 ? 1 : 0 });
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
