// Optional payload encryption: workflow inputs, results, signals and activity arguments are sealed with AES-256-GCM
// before they leave the process, so the Temporal server stores only ciphertext. Every client and worker must use
// the same codec (VSR_PAYLOAD_KEY); the codec server (`vsr codec-server`) lets the Web UI show them to key holders.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const CIPHER = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface PayloadKey {
  id: string;
  key: Buffer;
}

export class PayloadKeyError extends Error {}

/**
 * A key as written in the environment: `base64` (32 bytes) or `id:base64`. Without an id, the id is the first 8 hex
 * digits of the key's SHA-256, so two processes with the same key agree on it.
 */
export function parsePayloadKey(text: string, name = 'VSR_PAYLOAD_KEY'): PayloadKey {
  const m = /^(?:([A-Za-z0-9._-]{1,64}):)?([A-Za-z0-9+/=_-]+)$/.exec(text.trim());
  const key = m ? Buffer.from(m[2], 'base64') : Buffer.alloc(0);
  if (!m || key.length !== 32)
    throw new PayloadKeyError(
      `${name} must be 32 bytes in base64, optionally after a key id and a colon (id:base64); e.g. openssl rand -base64 32`,
    );
  return { id: m[1] ?? createHash('sha256').update(key).digest('hex').slice(0, 8), key };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Seals payloads with the current key; opens those sealed with it or with any older key still held. */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;

  constructor(
    private readonly current: PayloadKey,
    older: PayloadKey[] = [],
  ) {
    this.keys = new Map([...older, current].map((k) => [k.id, k.key]));
  }

  get keyId(): string {
    return this.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      cipher.setAAD(Buffer.from(this.current.id)); // the key id is bound to the ciphertext
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          encoding: encoder.encode(ENCRYPTED_ENCODING),
          [KEY_ID]: encoder.encode(this.current.id),
          'encryption-cipher': encoder.encode(CIPHER),
        },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      // Payloads written before encryption was turned on stay readable.
      if (!p.metadata?.encoding || decoder.decode(p.metadata.encoding) !== ENCRYPTED_ENCODING) return p;
      const id = decoder.decode(p.metadata[KEY_ID] ?? new Uint8Array());
      const key = this.keys.get(id);
      if (!key)
        throw new PayloadKeyError(
          `a payload is encrypted with key id ${JSON.stringify(id)}, which this process does not hold (VSR_PAYLOAD_KEY, VSR_PAYLOAD_KEYS_OLD)`,
        );
      const data = Buffer.from(p.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(id));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/** The codec the environment asks for (VSR_PAYLOAD_KEY, older keys in VSR_PAYLOAD_KEYS_OLD), or none. */
export function payloadCodecFromEnv(env: NodeJS.ProcessEnv = process.env): AesGcmPayloadCodec | undefined {
  if (!env.VSR_PAYLOAD_KEY) return undefined;
  const older = (env.VSR_PAYLOAD_KEYS_OLD ?? '')
    .split(',')
    .filter((k) => k.trim())
    .map((k) => parsePayloadKey(k, 'VSR_PAYLOAD_KEYS_OLD'));
  return new AesGcmPayloadCodec(parsePayloadKey(env.VSR_PAYLOAD_KEY), older);
}

/** A data converter for Client and Worker options: encrypted when the environment holds a key, Temporal's default otherwise. */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const codec = payloadCodecFromEnv(env);
  return codec ? { payloadCodecs: [codec] } : undefined;
}
