// `vsr setup`, `vsr dev`, `vsr localcloud` and `vsr worker`: provisioning and the long-running processes.
import path from 'node:path';
import { engineNameFrom } from '../../../localcloud/engine/engines';
import { startLocalCloud } from '../../../localcloud/server';
import { DEFAULT_OSS_PORT, DEFAULT_TEMPORAL_PORT, DEFAULT_UI_PORT, DEFAULT_VIAPI_PORT, loadConfig } from '../../../config';
import { runWorkerFromEnv } from '../../../workers/main';
import { startEmbeddedStack } from '../../embedded/stack';
import { ensureFfmpeg, ensureTemporalCli, ensureTestServer, temporalCliVersion } from '../../embedded/tools';
import { intFlag, parseArgs, strFlag } from '../args';

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

export async function setupCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, [], ['test-server']);
  ensureFfmpeg();
  const cli = ensureTemporalCli();
  console.error(`[setup] ffmpeg ok; Temporal CLI ${cli}: ${temporalCliVersion(cli)}`);
  if (p.flags.has('test-server')) console.error(`[setup] Temporal test server: ${ensureTestServer()}`);
  return 0;
}

export async function devCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['data', 'port', 'ui-port', 'viapi-port', 'oss-port'], []);
  const env = { ...process.env };
  const data = strFlag(p, 'data');
  if (data) env.VSR_HOME = path.resolve(data);
  const config = loadConfig(env);
  const stack = await startEmbeddedStack({
    config,
    port: intFlag(p, 'port', 1, 65535) ?? DEFAULT_TEMPORAL_PORT,
    uiPort: intFlag(p, 'ui-port', 1, 65535) ?? DEFAULT_UI_PORT,
    viapiPort: intFlag(p, 'viapi-port', 1, 65535) ?? DEFAULT_VIAPI_PORT,
    ossPort: intFlag(p, 'oss-port', 1, 65535) ?? DEFAULT_OSS_PORT,
  });
  console.log(`Temporal gRPC:  ${stack.address}`);
  console.log(`Temporal UI:    ${stack.uiUrl}`);
  if (stack.cloud)
    console.log(`Local VIAPI:    ${stack.cloud.viapiEndpoint}\nLocal OSS:      ${stack.cloud.ossEndpoint} (bucket ${stack.cloud.bucket})`);
  console.log(
    `Data folder:    ${config.home}\nWorker:         task queue ${config.taskQueue}, provider ${config.provider}\nCtrl-C stops everything.`,
  );
  const signal = await untilSignal();
  console.error(`[dev] ${signal}: stopping`);
  await stack.stop();
  console.error('[dev] stopped');
  return 0;
}

export async function localcloudCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['data', 'viapi-port', 'oss-port', 'engine', 'submits-per-second', 'parallel'], []);
  const config = loadConfig();
  const engine = engineNameFrom(strFlag(p, 'engine'));
  const { accessKeyId, accessKeySecret, bucket } = config.local;
  const cloud = await startLocalCloud({
    dataDir: path.resolve(strFlag(p, 'data') ?? path.join(config.home, 'localcloud')),
    accessKeyId,
    accessKeySecret,
    bucket,
    viapiPort: intFlag(p, 'viapi-port', 0, 65535) ?? 0,
    ossPort: intFlag(p, 'oss-port', 0, 65535) ?? 0,
    engine,
    submitsPerSecond: intFlag(p, 'submits-per-second', 0, 10_000),
    maxParallelJobs: intFlag(p, 'parallel', 1, 64),
  });
  const { viapiEndpoint, ossEndpoint, adminEndpoint, adminToken } = cloud;
  // One JSON line: what a client needs (the stand-in's fixed local key, not a real secret; the admin token is per run).
  console.log(JSON.stringify({ viapiEndpoint, ossEndpoint, accessKeyId, accessKeySecret, bucket, adminEndpoint, adminToken }));
  await untilSignal();
  await cloud.close();
  return 0;
}

export async function workerCommand(): Promise<number> {
  await runWorkerFromEnv();
  return 0;
}
