// docs/benchmarks.md from the benchmarks' reports: the machine, the targets, then one table per benchmark.
import type { BenchReport, Machine, Row } from './common';

const cell = (v: number | string | undefined) => (v === undefined ? '' : String(v).replace(/\|/g, '\\|'));

function table(rows: Row[]): string {
  const lines = ['| case | metric | vsr | baseline | ratio | note |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    const unit = r.unit ? ` ${r.unit}` : '';
    const baseline = r.baselineLabel ? `${cell(r.baseline)}${unit} (${cell(r.baselineLabel)})` : `${cell(r.baseline)}${unit}`;
    lines.push(
      `| ${cell(r.case)} | ${cell(r.metric)} | ${cell(r.vsr)}${unit} | ${baseline} | ${r.ratio === undefined ? '' : `${r.ratio}x`} | ${cell(r.note)} |`,
    );
  }
  return lines.join('\n');
}

export function renderMarkdown(
  machine: Machine & { loadAverageAfter: number[] },
  reports: BenchReport[],
  failures: string[],
  quick: boolean,
): string {
  const parts = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${machine.date.slice(0, 16).replace('T', ' ')} UTC; do not edit by hand ` +
      '(raw figures in `benchmarks.json`). Every figure has its baseline beside it, measured in the same run on the same machine.',
    '',
    `**Machine:** ${machine.cores} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}. ` +
      `Load average (1, 5, 15 min) ${machine.loadAverage.join(', ')} at the start and ${machine.loadAverageAfter.join(', ')} at the end: ` +
      'the machine is shared, so read the figures next to the load each section reports.',
    '',
  ];
  if (quick) parts.push('> Quick form (CI): small sizes that only show the benchmarks still work; the figures mean little.', '');
  parts.push('## Targets', '', '| target | figure | holds |', '|---|---|---|');
  for (const r of reports) for (const t of r.targets) parts.push(`| ${cell(t.name)} | ${cell(t.figure)} | ${t.holds ? 'yes' : '**no**'} |`);
  for (const f of failures) parts.push(`| ${f}: the benchmark failed to run | - | **no** |`);
  parts.push('');
  reports.forEach((r, i) => {
    parts.push(`## ${i + 1}. ${r.title}`, '', r.setup, '', table(r.rows), '');
    const when = r.at ? `Measured ${r.at.slice(0, 16).replace('T', ' ')} UTC; took` : 'Took';
    parts.push(`_${when} ${r.seconds} s; load average ${r.load.before} before, ${r.load.after} after._`, '');
  });
  return `${parts.join('\n')}\n`;
}
