// The VIAPI gateway stand-in: RPC over HTTP (videoenhan 2020-03-20 and viapi 2023-01-17 on one port),
// dispatched on (version, action) like Alibaba's gateway, signed with ACS3 or v2.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Faults } from '../faults';
import { roll } from '../faults';
import { headerValue, readBody, requestId as newRequestId, sendJson } from '../http';
import { actionKey, PRODUCTS, RpcError, type RpcAction } from './rpc';
import { SignatureError, verifyAcs3, verifyV2, type Credentials, type RequestGuard } from './signature';

export interface ViapiServerOptions {
  credentials: Credentials;
  guard: RequestGuard;
  faults: Faults;
  actions: ReadonlyMap<string, RpcAction>;
  /** Routes under /__admin (faults, clock, billing). */
  admin: (req: IncomingMessage, res: ServerResponse, route: string, body: Buffer) => void;
  /** Counters load tests read back (GET /__admin/billing). */
  stats?: ViapiStats;
}

/** Calls by action, and error answers by `action code` (e.g. `SuperResolveVideo Throttling.User`). */
export interface ViapiStats {
  calls: Record<string, number>;
  errors: Record<string, number>;
}

function count(table: Record<string, number> | undefined, key: string): void {
  if (table) table[key] = (table[key] ?? 0) + 1;
}

function send(res: ServerResponse, status: number, requestId: string, body: Record<string, unknown>): void {
  res.setHeader('x-acs-request-id', requestId);
  sendJson(res, status, body);
}

export function createViapiServer(o: ViapiServerOptions): http.Server {
  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string, seen: { action?: string }): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    if (url.pathname.startsWith('/__admin/')) return o.admin(req, res, url.pathname.slice('/__admin/'.length), body);

    const method = req.method ?? 'GET';
    const form = headerValue(req.headers, 'content-type').startsWith('application/x-www-form-urlencoded');
    const params = new Map<string, string>([...url.searchParams, ...(form ? new URLSearchParams(body.toString('utf8')) : [])]);
    const acs3 = Boolean(req.headers.authorization);
    const version = acs3 ? headerValue(req.headers, 'x-acs-version') : (params.get('Version') ?? '');
    const actionName = acs3 ? headerValue(req.headers, 'x-acs-action') : (params.get('Action') ?? '');
    const action = o.actions.get(actionKey(version, actionName));
    seen.action = actionName || '(none)';
    count(o.stats?.calls, seen.action);
    if (!action) throw new RpcError(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');

    let accessKeyId: string;
    if (acs3) accessKeyId = verifyAcs3(method, url.pathname, url.searchParams, req.headers, body, o.credentials, o.guard);
    else if (params.has('Signature')) accessKeyId = verifyV2(method, params, o.credentials, o.guard);
    else throw new RpcError(400, 'MissingAccessKeyId', 'AccessKeyId is mandatory for this action.');

    if (roll(o.faults.viapiServerErrorRate))
      throw new RpcError(503, 'ServiceUnavailable', 'injected fault: the request has failed due to a temporary failure of the server.');
    if (roll(o.faults.viapiThrottleRate))
      throw new RpcError(400, 'Throttling.User', 'injected fault: Request was denied due to user flow control.');
    const reply = action({ accessKeyId, params, requestId, res });
    if (reply !== 'no-reply') send(res, 200, requestId, reply);
  }

  return http.createServer((req, res) => {
    const requestId = newRequestId();
    const seen: { action?: string } = {};
    handle(req, res, requestId, seen).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) return;
      const e =
        err instanceof RpcError || err instanceof SignatureError
          ? err
          : new RpcError(500, 'InternalError', err instanceof Error ? err.message : String(err));
      if (seen.action) count(o.stats?.errors, `${seen.action} ${e.code}`);
      const version = headerValue(req.headers, 'x-acs-version');
      const host = PRODUCTS[version]?.host ?? PRODUCTS['2020-03-20'].host;
      send(res, e.status, requestId, {
        RequestId: requestId,
        HostId: host,
        Code: e.code,
        Message: e.message,
        Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(e.code)}&product=${PRODUCTS[version]?.product ?? 'videoenhan'}`,
      });
    });
  });
}
