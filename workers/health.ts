// `vsr worker`'s HTTP endpoint: /metrics (the SDK runtime's Prometheus text: Temporal's and vsr's metrics),
// /healthz (liveness: the workers have not failed) and /readyz (readiness: polling, Temporal answers, the
// provider's endpoints accept connections). Plain node:http, loopback or wherever the operator binds it.
import http from 'node:http';
import net from 'node:net';

export interface Check {
  name: string;
  /** Resolves when healthy; rejects (or times out) with the reason otherwise. */
  run(): Promise<void>;
}

export interface HealthOptions {
  /** host:port to listen on. */
  address: string;
  /** Where the SDK's exporter serves the metrics text. */
  metricsUrl?: string;
  live: () => boolean;
  readiness: Check[];
  timeoutMs?: number;
}

export interface HealthServer {
  /** `http://host:port` as bound (the port is real when the address asked for 0). */
  url: string;
  close(): Promise<void>;
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A TCP connection to `host:port` opens (the provider's endpoint is reachable from here). */
export function tcpCheck(name: string, host: string, port: number): Check {
  return {
    name,
    run: () =>
      new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host, port });
        socket.once('connect', () => {
          socket.destroy();
          resolve();
        });
        socket.once('error', reject);
      }),
  };
}

async function readiness(checks: Check[], timeoutMs: number): Promise<{ ok: boolean; checks: Record<string, string> }> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        await withTimeout(c.run(), timeoutMs);
        return [c.name, 'ok'] as const;
      } catch (err) {
        return [c.name, err instanceof Error ? err.message : String(err)] as const;
      }
    }),
  );
  return { ok: results.every(([, r]) => r === 'ok'), checks: Object.fromEntries(results) };
}

export async function startHealthServer(o: HealthOptions): Promise<HealthServer> {
  const timeoutMs = o.timeoutMs ?? 3000;
  const send = (res: http.ServerResponse, status: number, body: unknown, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const route = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'GET only' });
    if (route === '/healthz') return o.live() ? send(res, 200, { status: 'ok' }) : send(res, 503, { status: 'failed' });
    if (route === '/readyz') {
      readiness(o.readiness, timeoutMs).then(
        (r) => send(res, r.ok ? 200 : 503, { status: r.ok ? 'ready' : 'not ready', checks: r.checks }),
        (err: unknown) => send(res, 503, { status: 'not ready', error: String(err) }),
      );
      return;
    }
    if (route === '/metrics' && o.metricsUrl) {
      fetch(o.metricsUrl, { signal: AbortSignal.timeout(timeoutMs) })
        .then(async (r) => send(res, r.status, await r.text(), r.headers.get('content-type') ?? 'text/plain; version=0.0.4'))
        .catch((err: unknown) => send(res, 503, `# metrics unavailable: ${String(err)}\n`, 'text/plain'));
      return;
    }
    send(res, 404, { error: 'not found', routes: ['/metrics', '/healthz', '/readyz'] });
  });
  const [, host, port] = /^\[?(.*?)\]?:(\d+)$/.exec(o.address) ?? [];
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(Number(port), host, resolve));
  const bound = server.address() as net.AddressInfo;
  return {
    url: `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // a scraper's keep-alive connection must not hold the exit
      }),
  };
}
