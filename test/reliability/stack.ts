// A local stack whose every piece can be killed and brought back as in production: a Temporal dev server on its
// SQLite file and fixed ports, the stand-in on its data folder and fixed ports, and workers as child processes.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { findTemporalCli } from '../../app/embedded/tools';
import { startDevServer, type DevServer } from '../../app/embedded/devServer';
import { VsrClient } from '../../client';
import { loadConfig } from '../../config';
import { defaultFaults } from '../../localcloud/faults';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../../localcloud/server';
import { buildProvider } from '../../workers/providers';
import { submitLaneId } from '../../workflows/ids';
import { freePort } from '../harness/ports';

export interface WorkerHandle {
  child: ChildProcess;
  exited: Promise<number | null>;
}

export class ReliabilityStack {
  temporal!: DevServer;
  cloud!: LocalCloud;
  connection!: Connection;
  vsr!: VsrClient;
  readonly workers = new Set<WorkerHandle>();
  readonly taskQueue = 'vsr-reliability';
  private ports!: { grpc: number; ui: number; viapi: number; oss: number };
  private log: fs.WriteStream;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.log = fs.createWriteStream(path.join(dir, 'stack.log'));
  }

  static async start(dir: string): Promise<ReliabilityStack> {
    const s = new ReliabilityStack(dir);
    s.ports = { grpc: await freePort(), ui: await freePort(), viapi: await freePort(), oss: await freePort() };
    await Promise.all([s.startTemporal(), s.startCloud()]);
    s.connection = await Connection.connect({ address: s.temporal.address });
    s.vsr = new VsrClient(new Client({ connection: s.connection }), s.taskQueue);
    return s;
  }

  private async startTemporal(): Promise<void> {
    const cli = findTemporalCli();
    if (!cli) throw new Error('no Temporal CLI: run `npm run setup`');
    this.temporal = await startDevServer({
      cli,
      dataDir: path.join(this.dir, 'temporal'),
      port: this.ports.grpc,
      uiPort: this.ports.ui,
      namespace: 'default',
    });
  }

  private cloudOptions(): LocalCloudOptions {
    return {
      dataDir: path.join(this.dir, 'cloud'),
      viapiPort: this.ports.viapi,
      ossPort: this.ports.oss,
      engine: 'fast',
      submitsPerSecond: 0,
      maxParallelJobs: 2,
    };
  }

  private async startCloud(): Promise<void> {
    this.cloud = await startLocalCloud(this.cloudOptions());
  }

  /** SIGKILL of the Temporal server, then a start on the same database file and ports. */
  async restartTemporal(): Promise<void> {
    const gone = new Promise((r) => this.temporal.process.once('exit', r));
    this.temporal.process.kill('SIGKILL');
    await gone;
    await this.startTemporal();
  }

  /** The stand-in stopped mid-work and started again on its data folder (jobs in flight re-run from scratch). */
  async restartCloud(): Promise<void> {
    await this.cloud.close();
    await this.startCloud();
  }

  /** The workflow id of the account's submit lane, named as the workers name it. */
  async laneId(): Promise<string> {
    return submitLaneId(await buildProvider(loadConfig(this.workerEnv())).account());
  }

  resetFaults(): void {
    Object.assign(this.cloud.faults, defaultFaults());
  }

  workerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      TEMPORAL_ADDRESS: this.temporal.address,
      VSR_TASK_QUEUE: this.taskQueue,
      VSR_PROVIDER: 'local',
      VSR_HOME: path.join(this.dir, 'home'),
      VSR_WORK_DIR: path.join(this.dir, 'work'),
      VSR_UPLOAD_PART_BYTES: String(256 * 1024),
      VSR_SUBMITS_PER_SECOND: '20',
      VSR_LOCAL_VIAPI_ENDPOINT: `http://127.0.0.1:${this.ports.viapi}`,
      VSR_LOCAL_OSS_ENDPOINT: `http://localhost:${this.ports.oss}`,
      VSR_LOCAL_ACCESS_KEY_ID: this.cloud.accessKeyId,
      VSR_LOCAL_ACCESS_KEY_SECRET: this.cloud.accessKeySecret,
      VSR_LOCAL_BUCKET: this.cloud.bucket,
      ...extra,
    };
  }

  /** A `vsr worker` process (its output goes to the stack's log). */
  startWorker(extra: NodeJS.ProcessEnv = {}): WorkerHandle {
    const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'workers', 'main.js')], {
      env: this.workerEnv(extra),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    const handle: WorkerHandle = { child, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
    this.workers.add(handle);
    void handle.exited.then(() => this.workers.delete(handle));
    return handle;
  }

  async killWorker(w: WorkerHandle): Promise<void> {
    w.child.kill('SIGKILL');
    await w.exited;
  }

  async close(): Promise<void> {
    for (const w of [...this.workers]) await this.killWorker(w);
    await this.connection?.close();
    await this.cloud?.close();
    await this.temporal?.stop();
    this.log.end();
  }
}
