// The embedded default: a Temporal dev server (with Web UI), the local Alibaba stand-in and a worker, in one process.
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startLocalCloud, type LocalCloud } from '../../localcloud/server';
import { DEFAULT_OSS_PORT, DEFAULT_TEMPORAL_PORT, DEFAULT_UI_PORT, DEFAULT_VIAPI_PORT, type Config } from '../../config';
import { dataConverter } from '../../config/connection';
import { createWorkers } from '../../workers/worker';
import { startDevServer, type DevServer } from './devServer';
import { ensureTemporalCli } from './tools';

export interface StackOptions {
  config: Config;
  port?: number;
  uiPort?: number;
  viapiPort?: number;
  ossPort?: number;
  log?: (line: string) => void;
}

export interface EmbeddedStack {
  address: string;
  uiUrl: string;
  cloud?: LocalCloud;
  client: Client;
  stop: () => Promise<void>;
}

export async function startEmbeddedStack(o: StackOptions): Promise<EmbeddedStack> {
  const log = o.log ?? ((l: string) => console.error(l));
  const started: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const undo of started.reverse()) await undo().catch((err: unknown) => log(`[stack] stop: ${String(err)}`));
  };
  try {
    const cli = ensureTemporalCli(log);
    const dev: DevServer = await startDevServer({
      cli,
      dataDir: path.join(o.config.home, 'temporal'),
      port: o.port ?? DEFAULT_TEMPORAL_PORT,
      uiPort: o.uiPort ?? DEFAULT_UI_PORT,
      namespace: o.config.temporal.namespace,
    });
    started.push(() => dev.stop());

    // A laptop's own stack: loopback URL sources are the user's own (private and link-local ones stay refused).
    let config: Config = {
      ...o.config,
      safety: { ...o.config.safety, allowPrivateUrls: [...o.config.safety.allowPrivateUrls, '127.0.0.0/8', '::1'] },
    };
    let cloud: LocalCloud | undefined;
    if (config.provider === 'local') {
      const { accessKeyId, accessKeySecret, bucket } = config.local;
      cloud = await startLocalCloud({
        dataDir: path.join(config.home, 'localcloud'),
        // The stand-in accepts the keys the worker's config names, so a separate `vsr worker` finds it too.
        accessKeyId,
        accessKeySecret,
        bucket,
        viapiPort: o.viapiPort ?? DEFAULT_VIAPI_PORT,
        ossPort: o.ossPort ?? DEFAULT_OSS_PORT,
        allowLoopbackSources: ['*'], // a laptop's own stack: loopback URL sources are the user's own
      });
      const c = cloud;
      started.push(() => c.close());
      config = {
        ...config,
        local: {
          viapiEndpoint: c.viapiEndpoint,
          ossEndpoint: c.ossEndpoint,
          accessKeyId: c.accessKeyId,
          accessKeySecret: c.accessKeySecret,
          bucket: c.bucket,
        },
      };
    }

    const clientConnection = await Connection.connect({ address: dev.address });
    started.push(() => clientConnection.close());
    const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace, dataConverter: dataConverter(config) });
    const workerConnection = await NativeConnection.connect({ address: dev.address });
    started.push(() => workerConnection.close());
    const workers = await createWorkers({ config, connection: workerConnection, client });
    const running = workers.run();
    started.push(async () => {
      workers.shutdown();
      await running;
    });
    return { address: dev.address, uiUrl: dev.uiUrl, cloud, client, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
