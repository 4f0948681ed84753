// `vsr worker` (also runnable as `node dist/workers/main.js`): a worker from the environment, with JSON logs,
// metrics and health on one HTTP address, optional tracing, and a bounded graceful shutdown.
import { Client } from '@temporalio/client';
import type { Logger } from '@temporalio/worker';
import { loadConfig, DEFAULT_TEMPORAL_PORT, type Config } from '../config';
import { connectClient, connectWorker, dataConverter } from '../config/connection';
import { startHealthServer, tcpCheck, type Check, type HealthServer } from './health';
import { installRuntime } from './telemetry/runtime';
import { startTracing, tracingClientInterceptors } from './telemetry/tracing';
import { createWorkers, SHUTDOWN_FORCE_MS, type VsrWorkers } from './worker';

/** `host:port` of each provider endpoint the worker calls (scheme-less VIAPI endpoints are HTTPS). */
function providerEndpoints(config: Config): Array<{ name: string; host: string; port: number }> {
  const endpoints =
    config.provider === 'local'
      ? [
          ['viapi', config.local.viapiEndpoint],
          ['oss', config.local.ossEndpoint],
        ]
      : [
          ['videoenhan', config.alibaba.videoenhanEndpoint],
          ['viapi', config.alibaba.viapiEndpoint],
          ['oss', config.alibaba.ossEndpoint],
        ];
  return endpoints.map(([name, endpoint]) => {
    const u = new URL(/^[a-z]+:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`);
    return {
      name: `provider-${name}`,
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: Number(u.port || (u.protocol === 'http:' ? 80 : 443)),
    };
  });
}

function readinessChecks(config: Config, workers: VsrWorkers, client: Client): Check[] {
  return [
    {
      name: 'workers',
      run: async () => {
        if (!workers.polling) throw new Error(`main ${workers.main.getState()}, submit ${workers.submit.getState()}`);
      },
    },
    { name: 'temporal', run: async () => void (await client.workflowService.getSystemInfo({})) },
    ...providerEndpoints(config).map((e) => tcpCheck(e.name, e.host, e.port)),
  ];
}

/** Exits the process if the workers have not stopped in time after a shutdown signal (grace + force + margin). */
function exitBound(config: Config, logger: Logger): void {
  const boundMs = config.shutdownGraceMs + SHUTDOWN_FORCE_MS + 5000;
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
      logger.info('shutdown requested: polling stops, running activities get the grace time', { signal, graceMs: config.shutdownGraceMs });
      setTimeout(() => {
        logger.error('shutdown took too long: exiting', { boundMs });
        process.exit(1);
      }, boundMs).unref();
    });
}

export async function runWorkerFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig(env);
  const { logger, metricsUrl } = await installRuntime({
    config,
    defaultLevel: 'INFO',
    defaultFormat: 'json',
    metrics: Boolean(config.telemetry.metricsAddress),
  });
  const tracing = config.telemetry.tracing ? startTracing(config.telemetry.tracing) : undefined;
  const temporal = { ...config.temporal, address: config.temporal.address ?? `127.0.0.1:${DEFAULT_TEMPORAL_PORT}` };
  const [connection, clientConnection] = await Promise.all([connectWorker(temporal), connectClient(temporal)]);
  const client = new Client({
    connection: clientConnection,
    namespace: temporal.namespace,
    dataConverter: dataConverter(config),
    interceptors: { workflow: tracingClientInterceptors() },
  });
  const workers = await createWorkers({ config, connection, client });
  let http: HealthServer | undefined;
  if (config.telemetry.metricsAddress)
    http = await startHealthServer({
      address: config.telemetry.metricsAddress,
      metricsUrl,
      live: () => !workers.failed,
      readiness: readinessChecks(config, workers, client),
    });
  exitBound(config, logger);
  logger.info('worker started', {
    taskQueue: config.taskQueue,
    submitsPerSecond: config.submitsPerSecond,
    temporal: temporal.address,
    namespace: temporal.namespace,
    provider: config.provider,
    workDir: config.workDir,
    deployment: workers.version,
    http: http?.url,
    tracing: Boolean(tracing),
  });
  try {
    await workers.run();
  } finally {
    await http?.close();
    await tracing?.shutdown();
    await clientConnection.close();
    await connection.close();
  }
  logger.info('worker stopped', {});
}

if (require.main === module) {
  runWorkerFromEnv().catch((err: unknown) => {
    console.error(`[worker] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
