// The Runtime logger: every SDK, workflow, activity and (forwarded) Core log record, redacted, as one JSON
// object a line (or the SDK's human format for the CLI).
import { DefaultLogger, type LogEntry, type Logger } from '@temporalio/worker';
import type { Config, LogLevel } from '../../config';
import { makeRedactor, type Redactor } from './redact';

/** Literal secrets the configuration holds or the credential chain reads: hidden wherever they appear. */
export function configSecrets(config: Config, env: NodeJS.ProcessEnv = process.env): string[] {
  return [
    config.local.accessKeySecret,
    config.temporal.apiKey,
    env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
    env.ALIBABA_CLOUD_SECURITY_TOKEN,
    env.TEMPORAL_API_KEY,
    // Payload keys (`base64` or `id:base64`, older ones comma-separated): the key material after any id.
    ...[env.VSR_PAYLOAD_KEY, ...(env.VSR_PAYLOAD_KEYS_OLD ?? '').split(',')].map((k) => k?.trim().split(':').pop()),
  ].filter((s): s is string => Boolean(s));
}

/** The fields people search logs by first, in this order; the SDK's activity `workflowRunId` is named `runId` here too. */
const FIRST = ['workflowId', 'runId', 'stage', 'jobId', 'attempt', 'activityType', 'workflowType'];

function record(entry: LogEntry, r: Redactor): Record<string, unknown> {
  const { workflowRunId, ...meta } = (r.value(entry.meta ?? {}) ?? {}) as Record<string, unknown>;
  if (workflowRunId !== undefined && meta.runId === undefined) meta.runId = workflowRunId;
  const ordered: Record<string, unknown> = {
    time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
    level: entry.level,
    msg: r.text(entry.message),
  };
  for (const k of FIRST) if (meta[k] !== undefined) ordered[k] = meta[k];
  return { ...ordered, ...meta };
}

export interface LoggerOptions {
  level: LogLevel;
  format: 'json' | 'text';
  redactor: Redactor;
  /** Where lines go; stdout by default (a container's log stream). */
  write?: (line: string) => void;
}

export function makeLogger(o: LoggerOptions): Logger {
  const write = o.write ?? ((line: string) => process.stdout.write(line));
  return new DefaultLogger(o.level, (entry) => {
    const r = record(entry, o.redactor);
    if (o.format === 'json') {
      write(`${JSON.stringify(r)}\n`);
      return;
    }
    const { time, level, msg, ...rest } = r;
    write(`${String(time)} [${String(level)}] ${String(msg)} ${JSON.stringify(rest)}\n`);
  });
}

export { makeRedactor };
