export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Reads the Prometheus text exposition format (version 0.0.4): one sample
 * per line, comments skipped, anything unreadable ignored rather than fatal.
 */
export function parsePrometheus(text: string): readonly Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match?.[1] || match[3] === undefined) continue;
    const value = Number(match[3]);
    if (Number.isNaN(value)) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(LABEL)) labels[label[1]!] = label[2]!.replace(/\\(.)/g, '$1');
    samples.push({ name: match[1], labels, value });
  }
  return samples;
}

/** The sum of every series of a metric that passes `keep`; undefined when the metric is absent. */
export function sumOf(samples: readonly Sample[], name: string | RegExp, keep: (labels: Readonly<Record<string, string>>) => boolean = () => true): number | undefined {
  let found = false;
  let total = 0;
  for (const sample of samples) {
    const named = typeof name === 'string' ? sample.name === name : name.test(sample.name);
    if (!named || !keep(sample.labels)) continue;
    found = true;
    total += sample.value;
  }
  return found ? total : undefined;
}
