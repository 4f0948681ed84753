// The guarded HTTP client refuses internal addresses before connecting. Proven on loopback names only: no test
// here sends traffic to a private or public address (refusals happen after resolution, before any connection).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { allowed, classifyAddress, parseAllowList, AllowListError } from '../../activities/net/addresses';
import { guardedFetch, guardedGet, httpStatusError, UrlError, type Lookup, type UrlPolicy } from '../../activities/net/guardedHttp';

describe('address classes', () => {
  const kinds: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.0.0.2', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'IPv4-mapped'],
    ['::ffff:7f00:1', 'IPv4-mapped'],
    ['::ffff:8.8.8.8', 'IPv4-mapped'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['255.255.255.255', 'reserved'],
    ['not-an-address', 'reserved'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['8.8.8.8', 'public'],
    ['2606:4700::1', 'public'],
  ];
  for (const [address, kind] of kinds) it(`${address} is ${kind}`, () => assert.equal(classifyAddress(address), kind));
});

describe('allow-lists (VSR_ALLOW_PRIVATE_URLS)', () => {
  it('reads networks, addresses, ports, localhost, host names and *', () => {
    const rules = parseAllowList('10.0.0.0/8, 127.0.0.1:8241, [::1]:9000, localhost:7000, minio.lan:9000');
    assert.ok(allowed(rules, 'x', '10.9.9.9', 80));
    assert.ok(!allowed(rules, 'x', '11.0.0.1', 80));
    assert.ok(allowed(rules, 'x', '127.0.0.1', 8241));
    assert.ok(!allowed(rules, 'x', '127.0.0.1', 8242), 'the port is part of the allowance');
    assert.ok(allowed(rules, 'x', '::1', 9000));
    assert.ok(allowed(rules, 'localhost', '127.0.0.1', 7000) && allowed(rules, 'localhost', '::1', 7000));
    assert.ok(allowed(rules, 'MINIO.lan', '192.168.1.5', 9000));
    assert.ok(!allowed(rules, 'other.lan', '192.168.1.5', 9000));
    assert.ok(allowed(parseAllowList('*'), 'x', '169.254.169.254', 80));
    assert.deepEqual(parseAllowList(''), []);
  });
  it('names the variable and the entry it cannot read', () => {
    for (const bad of ['10.0.0.0/33', 'http://x', '127.0.0.1:99999', 'a b'])
      assert.throws(
        () => parseAllowList(bad),
        (e: Error) => e instanceof AllowListError && e.message.startsWith('VSR_ALLOW_PRIVATE_URLS: '),
        bad,
      );
  });
});

describe('guarded HTTP client', () => {
  const hits: Record<string, number> = {};
  let server: http.Server;
  let port = 0;
  let other: http.Server;
  let otherPort = 0;
  const base = () => `http://127.0.0.1:${port}`;
  const policy = (over: Partial<UrlPolicy> = {}): UrlPolicy => ({ allow: parseAllowList(`127.0.0.1:${port}`), ...over });

  function listen(s: http.Server): Promise<number> {
    return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
  }
  before(async () => {
    server = http.createServer((req, res) => {
      const path = req.url ?? '/';
      hits[path] = (hits[path] ?? 0) + 1;
      if (path === '/ok') res.end('hello');
      else if (path === '/to-other') res.writeHead(302, { location: `http://127.0.0.1:${otherPort}/secret` }).end();
      else if (path === '/to-localhost-name') res.writeHead(301, { location: `http://localhost:${otherPort}/secret` }).end();
      else if (path === '/to-file') res.writeHead(302, { location: 'file:///etc/passwd' }).end();
      else if (path.startsWith('/loop')) res.writeHead(302, { location: `/loop${Number(path.slice(5) || 0) + 1}` }).end();
      else if (path === '/big') res.end(Buffer.alloc(2 * 1024 * 1024));
      else if (path === '/reset') req.socket.destroy();
      else if (path === '/declared-big') res.writeHead(200, { 'content-length': String(10 ** 9) }).end();
      else res.writeHead(404).end();
    });
    other = http.createServer((req, res) => {
      hits[`other${req.url}`] = (hits[`other${req.url}`] ?? 0) + 1;
      res.end('internal');
    });
    [port, otherPort] = await Promise.all([listen(server), listen(other)]);
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    other.close();
  });

  async function refused(url: string, p: UrlPolicy, why: RegExp): Promise<void> {
    await assert.rejects(guardedGet(url, p), (e: Error) => e instanceof UrlError && e.reason === 'refused' && why.test(e.message));
  }

  it('fetches an allowed loopback server', async () => {
    const a = await guardedGet(`${base()}/ok`, policy());
    assert.equal(a.status, 200);
    let text = '';
    for await (const c of a.body) text += String(c);
    assert.equal(text, 'hello');
    const res = await guardedFetch(`${base()}/ok`, policy());
    assert.equal(await res.text(), 'hello');
  });

  it('refuses loopback in all its spellings when nothing allows it', async () => {
    const none: UrlPolicy = { allow: [] };
    await refused(`http://localhost:${port}/ok`, none, /resolves to 127\.0\.0\.1, a loopback address/);
    await refused(`http://127.0.0.2:${port}/ok`, none, /loopback/);
    await refused(`http://[::1]:${port}/ok`, none, /::1, a loopback/);
    await refused(`http://2130706433:${port}/ok`, none, /127\.0\.0\.1/); // the URL parser's decimal IPv4
    await refused(`http://0x7f.1:${port}/ok`, none, /127\.0\.0\.1/);
    await refused(`http://[::ffff:127.0.0.1]:${port}/ok`, none, /IPv4-mapped/);
    await refused(`http://app.localhost:${port}/ok`, none, /loopback/);
    assert.equal(hits['/ok'], 2, 'only the allowed fetches above reached the server');
  });

  it('checks names after resolution (an injected resolver), every address they stand for', async () => {
    const lookup: Lookup = async (host) =>
      host === 'video.example'
        ? [{ address: '127.0.0.1', family: 4 }]
        : [
            { address: '127.0.0.1', family: 4 },
            { address: '10.0.0.1', family: 4 },
          ];
    await refused(`http://video.example:${port}/ok`, { allow: [], lookup }, /video\.example:\d+ resolves to 127\.0\.0\.1/);
    // One address allowed, another private: refused whichever would be used (no connection made to either).
    await refused(`http://mixed.example:${port}/ok`, policy({ lookup }), /10\.0\.0\.1, a private address/);
  });

  it('connects to the address it checked: a name that rebinds after the check is not looked up again', async () => {
    let lookups = 0;
    const lookup: Lookup = async () => [{ address: ++lookups === 1 ? '127.0.0.1' : '127.0.0.3', family: 4 }];
    const before = hits['/ok'] ?? 0;
    const a = await guardedGet(`http://rebind.example:${port}/ok`, policy({ lookup }));
    a.body.resume();
    assert.equal(a.status, 200);
    assert.equal(lookups, 1, 'one resolution per hop');
    assert.equal(hits['/ok'], before + 1, 'the checked address answered');
  });

  it('checks every redirect: an allowed server cannot send the client to a refused one', async () => {
    await refused(`${base()}/to-other`, policy(), new RegExp(`127\\.0\\.0\\.1:${otherPort} resolves to 127\\.0\\.0\\.1, a loopback`));
    await refused(`${base()}/to-localhost-name`, policy(), /localhost/);
    await refused(`${base()}/to-file`, policy(), /scheme file: is not fetched/);
    assert.equal(hits['other/secret'], undefined, 'the internal server was never contacted');
  });

  it('refuses other schemes and credentials in URLs', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://127.0.0.1/a', 'gopher://127.0.0.1:70/', 'data:text/plain,hi'])
      await refused(url, policy(), /scheme .* is not fetched/);
    await refused(`http://user:pw@127.0.0.1:${port}/ok`, policy(), /user name or password/);
  });

  it('tells passing failures (reset, 5xx, 429) from those of the URL itself (refused connection, 404)', async () => {
    await assert.rejects(guardedGet(`${base()}/reset`, policy()), (e: Error) => e instanceof UrlError && e.reason === 'transient');
    const gone = http.createServer();
    const closedPort = await listen(gone);
    await new Promise((r) => gone.close(r));
    await assert.rejects(
      guardedGet(`http://127.0.0.1:${closedPort}/`, { allow: parseAllowList(`127.0.0.1:${closedPort}`) }),
      (e: Error) => e instanceof UrlError && e.reason === 'unreachable' && /ECONNREFUSED/.test(e.message),
    );
    assert.deepEqual(
      [503, 500, 429, 404, 403].map((s) => httpStatusError(s).reason),
      ['transient', 'transient', 'transient', 'unreachable', 'unreachable'],
    );
  });

  it('bounds redirects and sizes', async () => {
    await assert.rejects(
      guardedGet(`${base()}/loop0`, policy()),
      (e: Error) => e instanceof UrlError && /more than 5 redirects/.test(e.message),
    );
    assert.equal(hits['/loop6'], undefined, 'stopped after 5 redirects');
    const big = await guardedGet(`${base()}/big`, policy({ maxBytes: 1024 * 1024 }));
    await assert.rejects(
      (async () => {
        for await (const _ of big.body);
      })(),
      (e: Error) => e instanceof UrlError && e.reason === 'too-large',
    );
    const declared = await guardedGet(`${base()}/declared-big`, policy({ maxBytes: 1024 }));
    await assert.rejects(
      (async () => {
        for await (const _ of declared.body);
      })(),
      /declares 1000000000 bytes/,
    );
  });
});
