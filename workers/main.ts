// `vsr worker` (also runnable as `node dist/workers/main.js`): a worker from the environment, stopped gracefully.
import { Client } from '@temporalio/client';
import { loadConfig, DEFAULT_TEMPORAL_PORT } from '../config';
import { connectClient, connectWorker, dataConverter } from '../config/connection';
import { createWorkers } from './worker';

export async function runWorkerFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig(env);
  const temporal = { ...config.temporal, address: config.temporal.address ?? `127.0.0.1:${DEFAULT_TEMPORAL_PORT}` };
  const [connection, clientConnection] = await Promise.all([connectWorker(temporal), connectClient(temporal)]);
  const client = new Client({ connection: clientConnection, namespace: temporal.namespace, dataConverter: dataConverter(config) });
  const workers = await createWorkers({ config, connection, client });
  // SIGTERM/SIGINT: the SDK's default shutdown signals; in-flight activities get the grace time to stop cleanly.
  console.error(
    `[worker] task queues ${config.taskQueue} (+ -submit, lane pace ${config.submitsPerSecond}/s) on ${temporal.address} (namespace ${temporal.namespace}), provider ${config.provider}`,
  );
  await workers.run();
  await clientConnection.close();
  await connection.close();
  console.error('[worker] stopped');
}

if (require.main === module) {
  runWorkerFromEnv().catch((err: unknown) => {
    console.error(`[worker] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
