// Runs the Temporal CLI dev server (with its Web UI) as a child process, persisting history in SQLite.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';

export interface DevServerOptions {
  cli: string;
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  await fs.promises.mkdir(o.dataDir, { recursive: true });
  if (await portAnswers(o.port))
    throw new Error(`port ${o.port} is already in use: is another Temporal server (or vsr dev) running? Use --port to pick another`);
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(o.port),
    '--ui-port',
    String(o.uiPort),
    '--db-filename',
    path.join(o.dataDir, 'temporal.sqlite'),
    '--namespace',
    o.namespace,
    '--log-level',
    'warn',
    ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=${a.type}`]),
  ];
  const child = spawn(o.cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  let output = '';
  const collect = (d: Buffer) => {
    output = (output + d.toString()).slice(-8000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  const deadline = Date.now() + 60_000;
  while (!(await portAnswers(o.port)) || !(await portAnswers(o.uiPort))) {
    if (exited) throw new Error(`Temporal dev server exited during start-up:\n${output.trim()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Temporal dev server did not answer on ports ${o.port}/${o.uiPort} within 60 s:\n${output.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    address: `127.0.0.1:${o.port}`,
    uiUrl: `http://127.0.0.1:${o.uiPort}`,
    process: child,
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
