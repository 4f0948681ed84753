// A small argument parser: positionals, --flag, --key value / --key=value, with errors naming the flag.
import { BATCH_LIMITS } from '../../workflows/batchContract';
import { bitRateFromText } from '../../activities/media';
export interface Parsed {
  positionals: string[];
  flags: Map<string, string | true>;
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], valued: string[], booleans: string[]): Parsed {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (booleans.includes(name)) {
      flags.set(name, true);
    } else if (valued.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { positionals, flags };
}

export function intFlag(p: Parsed, name: string, min: number, max: number): number | undefined {
  const v = p.flags.get(name);
  if (v === undefined) return undefined;
  const n = v === true || !/^-?\d+$/.test(v) ? NaN : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} ${String(v)} must be an integer from ${min} to ${max}`);
  return n;
}

/** `--bitrate N`: the output bitrate in Mbps, within the provider's range. */
export function bitRateFlag(p: Parsed): number | undefined {
  const v = p.flags.get('bitrate');
  if (v === undefined) return undefined;
  const parsed = bitRateFromText(v === true ? '' : v, '--bitrate');
  if ('violation' in parsed) throw new UsageError(parsed.violation.message);
  return parsed.value;
}

/** `--concurrency N`: videos of a batch in flight at once. */
export function concurrencyFlag(p: Parsed): number | undefined {
  return intFlag(p, 'concurrency', BATCH_LIMITS.concurrency.min, BATCH_LIMITS.concurrency.max);
}

export function strFlag(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}
