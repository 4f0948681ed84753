// Renders workflow progress on stderr: one redrawn line on a terminal, a line per change otherwise.
import type { Progress } from '../../workflows/contract';

function mb(n: number): string {
  return (n / 1e6).toFixed(1);
}

export function formatProgress(p: Progress): string {
  const width = 24;
  const filled = Math.round((Math.min(100, p.percent) / 100) * width);
  const bar =
    p.bytesTotal > 0
      ? ` [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.percent.toFixed(1)}% ${mb(p.bytesDone)}/${mb(p.bytesTotal)} MB`
      : '';
  const job = p.jobId ? ` job ${p.jobId}` : '';
  const provider = p.providerStatus ? ` ${p.providerStatus}` : '';
  const polls = p.pollCount > 0 ? ` polls ${p.pollCount}` : '';
  return `${p.stage.padEnd(11)}${bar}${provider}${polls}${job}`;
}

export class ProgressLine {
  private last = '';
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  show(p: Progress): void {
    const text = formatProgress(p);
    if (text === this.last) return;
    if (this.stream.isTTY) this.stream.write(`\r\x1b[2K${text}`);
    else if (text.split(' ')[0] !== this.last.split(' ')[0] || p.bytesTotal === 0) this.stream.write(`${text}\n`);
    this.last = text;
  }

  end(): void {
    if (this.stream.isTTY && this.last) this.stream.write('\n');
  }
}
