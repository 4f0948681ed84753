// The codec endpoint the Temporal Web UI (and `temporal --codec-endpoint`) calls to show encrypted payloads to people
// who hold the key: POST /encode and POST /decode with `{ "payloads": [...] }` (payloads in proto3 JSON: base64 bytes).
// It listens on loopback unless told otherwise, answers CORS only for the Web UI's origin, and off loopback needs a
// bearer token (the Web UI forwards one when "Include cross-origin credentials" is set).
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';

export interface CodecServerOptions {
  codec: PayloadCodec;
  host?: string;
  port?: number;
  /** Origins allowed to call it from a browser, e.g. the Web UI's `http://127.0.0.1:8233`. */
  origins: string[];
  /** Required as `Authorization: Bearer <token>` when set (and it must be set off loopback). */
  token?: string;
}

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

type JsonPayload = { metadata?: Record<string, string>; data?: string };

const MAX_BODY_BYTES = 16 * 1024 * 1024;

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

async function body(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startCodecServer(o: CodecServerOptions): Promise<CodecServer> {
  const host = o.host ?? '127.0.0.1';
  if (!isLoopback(host) && !o.token)
    throw new Error(`the codec server decrypts payloads for whoever asks: off loopback (${host}) it needs a token (VSR_CODEC_TOKEN)`);
  const authorized = (req: http.IncomingMessage) => {
    if (!o.token) return true;
    const given = Buffer.from(req.headers.authorization ?? '');
    const wanted = Buffer.from(`Bearer ${o.token}`);
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  };

  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    const allowedOrigin = origin !== undefined && o.origins.includes(origin);
    if (allowedOrigin) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    // A page from another origin gets nothing, not even an answer to read.
    if (origin !== undefined && !allowedOrigin) return void res.writeHead(403).end();
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      return void res.writeHead(204).end();
    }
    const action = req.method === 'POST' && (req.url === '/decode' || req.url === '/encode') ? req.url.slice(1) : undefined;
    if (!action) return void res.writeHead(404).end();
    if (!authorized(req)) return void res.writeHead(401).end();
    if (!/^application\/json/i.test(req.headers['content-type'] ?? '')) return void res.writeHead(415).end();
    body(req)
      .then(async (text) => {
        const payloads = ((JSON.parse(text) as { payloads?: JsonPayload[] }).payloads ?? []).map(fromJson);
        const out = action === 'decode' ? await o.codec.decode(payloads) : await o.codec.encode(payloads);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ payloads: out.map(toJson) }));
      })
      .catch((err: Error) => {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(err.message);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
