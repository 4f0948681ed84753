// Payload encryption: round trips, key rotation, tampering and keys it does not hold.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Payload } from '@temporalio/common';
import { startCodecServer } from '../../app/codec/server';
import { AesGcmPayloadCodec, parsePayloadKey, payloadCodecFromEnv, PayloadKeyError } from '../../client/payloadCodec';
import { ConfigError, loadConfig } from '../../config';

const key = () => randomBytes(32).toString('base64');
const plain: Payload = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"source":"/videos/secret-name.mp4"}') };

describe('payload codec', () => {
  it('seals payloads (ciphertext, key id in the metadata) and opens them again', async () => {
    const codec = new AesGcmPayloadCodec(parsePayloadKey(`k1:${key()}`));
    const [sealed] = await codec.encode([plain]);
    assert.equal(Buffer.from(sealed.metadata?.encoding ?? []).toString(), 'binary/encrypted');
    assert.equal(Buffer.from(sealed.metadata?.['encryption-key-id'] ?? []).toString(), 'k1');
    assert.ok(
      !Buffer.from(sealed.data ?? [])
        .toString('latin1')
        .includes('secret-name'),
    );
    const [opened] = await codec.decode([sealed]);
    assert.deepEqual(Buffer.from(opened.data ?? []).toString(), Buffer.from(plain.data ?? []).toString());
    const [again] = await codec.encode([plain]);
    assert.notDeepEqual(again.data, sealed.data, 'a fresh IV each time');
  });

  it('reads payloads sealed with an older key after rotation, and plain ones written before encryption', async () => {
    const old = parsePayloadKey(`2025:${key()}`);
    const [sealedByOld] = await new AesGcmPayloadCodec(old).encode([plain]);
    const rotated = new AesGcmPayloadCodec(parsePayloadKey(`2026:${key()}`), [old]);
    assert.equal(Buffer.from((await rotated.decode([sealedByOld]))[0].data ?? []).toString(), Buffer.from(plain.data ?? []).toString());
    assert.deepEqual(await rotated.decode([plain]), [plain]);
    const [sealedByNew] = await rotated.encode([plain]);
    assert.equal(Buffer.from(sealedByNew.metadata?.['encryption-key-id'] ?? []).toString(), '2026');
  });

  it('refuses a key it does not hold and a tampered payload', async () => {
    const [sealed] = await new AesGcmPayloadCodec(parsePayloadKey(key())).encode([plain]);
    await assert.rejects(new AesGcmPayloadCodec(parsePayloadKey(key())).decode([sealed]), /does not hold/);
    const codec = new AesGcmPayloadCodec(parsePayloadKey(`k:${key()}`));
    const [ok] = await codec.encode([plain]);
    const data = Buffer.from(ok.data ?? []);
    data[20] ^= 1;
    await assert.rejects(codec.decode([{ ...ok, data }]), /authenticate/);
  });

  it('reads keys from the environment and names the variable when one is wrong', () => {
    assert.equal(payloadCodecFromEnv({}), undefined);
    assert.equal(payloadCodecFromEnv({ VSR_PAYLOAD_KEY: `a:${key()}` })?.keyId, 'a');
    assert.match(payloadCodecFromEnv({ VSR_PAYLOAD_KEY: key() })?.keyId ?? '', /^[0-9a-f]{8}$/);
    assert.throws(
      () => parsePayloadKey('c2hvcnQ='),
      (e: Error) => e instanceof PayloadKeyError && /VSR_PAYLOAD_KEY must be 32 bytes/.test(e.message),
    );
    assert.throws(() => loadConfig({ VSR_PAYLOAD_KEY: 'nope' }), ConfigError);
    assert.throws(() => loadConfig({ VSR_PAYLOAD_KEY: key(), VSR_PAYLOAD_KEYS_OLD: 'x:short' }), /VSR_PAYLOAD_KEYS_OLD/);
  });

  it('will not serve decryption off loopback without a token', async () => {
    const codec = new AesGcmPayloadCodec(parsePayloadKey(key()));
    await assert.rejects(startCodecServer({ codec, host: '0.0.0.0', origins: [] }), /needs a token/);
    const server = await startCodecServer({ codec, origins: ['http://ui.test'], token: 't0k' });
    try {
      const post = (auth?: string) =>
        fetch(`${server.url}/decode`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
          body: '{"payloads":[]}',
        });
      assert.equal((await post()).status, 401);
      assert.equal((await post('Bearer wrong')).status, 401);
      assert.equal((await post('Bearer t0k')).status, 200);
    } finally {
      await server.close();
    }
  });
});
