// The stand-in's admin routes (/__admin/faults, /clock, /billing): loopback callers only, a bearer token
// generated at start, and JSON bodies only, so a web page in the user's browser can neither forge a
// request (no token, and a form post cannot be JSON without a CORS preflight nobody answers) nor read one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ControlledClock } from './clock';
import { applyFaults, type Faults } from './faults';
import { headerValue, safeEqual, sendJson } from './http';

export interface AdminOptions {
  token: string;
  faults: Faults;
  clock: ControlledClock;
  billing: () => Record<string, unknown>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

export function createAdmin(o: AdminOptions) {
  return (req: IncomingMessage, res: ServerResponse, route: string, body: Buffer): void => {
    const fail = (status: number, code: string, message: string) => sendJson(res, status, { Code: code, Message: message });
    if (!LOOPBACK.test(req.socket.remoteAddress ?? '')) return fail(403, 'Forbidden', 'the admin endpoint answers loopback callers only');
    const auth = /^Bearer (.+)$/.exec(headerValue(req.headers, 'authorization'));
    if (!auth || !safeEqual(auth[1], o.token))
      return fail(401, 'Unauthorized', 'send the admin token that `vsr localcloud` printed: Authorization: Bearer <adminToken>');
    const method = req.method ?? 'GET';
    let input: Record<string, unknown> = {};
    if (method !== 'GET') {
      if (!/^application\/json\s*(;|$)/i.test(headerValue(req.headers, 'content-type')))
        return fail(415, 'UnsupportedMediaType', 'admin requests carry a JSON body: Content-Type: application/json');
      try {
        input = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
        if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('the body must be a JSON object');
      } catch (err) {
        return fail(400, 'InvalidParameter', (err as Error).message);
      }
    }
    try {
      if (route === 'faults' && method === 'GET') return sendJson(res, 200, o.faults);
      if (route === 'faults' && method === 'POST') return sendJson(res, 200, applyFaults(o.faults, input));
      if (route === 'clock' && method === 'GET') return sendJson(res, 200, { now: o.clock.now() });
      if (route === 'clock' && method === 'POST') {
        o.clock.advance(Number(input.advanceMs ?? 0));
        return sendJson(res, 200, { now: o.clock.now() });
      }
      if (route === 'billing' && method === 'GET') return sendJson(res, 200, o.billing());
    } catch (err) {
      return fail(400, 'InvalidParameter', (err as Error).message);
    }
    fail(404, 'NotFound', `no admin route ${method} ${route}`);
  };
}
