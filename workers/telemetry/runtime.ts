// The Temporal SDK runtime of a process, installed once: the redacting logger (with Core's own logs forwarded
// to it) and, for workers, the Prometheus exporter of the SDK's and vsr's metrics.
import net from 'node:net';
import { makeTelemetryFilterString, Runtime, type Logger } from '@temporalio/worker';
import type { Config, LogLevel } from '../../config';
import { HISTOGRAM_BUCKETS } from '../../workflows/metrics';
import { configSecrets, makeLogger, makeRedactor } from './logging';

export interface InstalledRuntime {
  logger: Logger;
  /** Where the SDK serves its Prometheus text (loopback; `vsr worker` re-serves it on the configured address). */
  metricsUrl?: string;
}

/** A free loopback port for the SDK's exporter: Core cannot bind port 0 and say which port it got. */
export async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RuntimeOptions {
  config: Config;
  /** The command's level when VSR_LOG_LEVEL is not set. */
  defaultLevel: LogLevel;
  defaultFormat: 'json' | 'text';
  /** Export metrics (workers); the CLI leaves this off. */
  metrics: boolean;
  write?: (line: string) => void;
}

export async function installRuntime(o: RuntimeOptions): Promise<InstalledRuntime> {
  const t = o.config.telemetry;
  const level = t.logLevel ?? o.defaultLevel;
  const logger = makeLogger({
    level,
    format: t.logFormat ?? o.defaultFormat,
    redactor: makeRedactor(configSecrets(o.config)),
    write: o.write,
  });
  const bindAddress = o.metrics ? `127.0.0.1:${await freeLoopbackPort()}` : undefined;
  Runtime.install({
    logger,
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: level === 'TRACE' || level === 'DEBUG' ? 'INFO' : 'WARN' }), forward: {} },
      ...(bindAddress ? { metrics: { prometheus: { bindAddress, histogramBucketOverrides: HISTOGRAM_BUCKETS } } } : {}),
    },
  });
  return { logger, metricsUrl: bindAddress ? `http://${bindAddress}/metrics` : undefined };
}
