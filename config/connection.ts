// Temporal connections from config: plain for local servers, mTLS or API key for Temporal Cloud.
import fs from 'node:fs';
import { Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import type { Config, TemporalConfig } from './index';

function tlsOptions(c: TemporalConfig) {
  if (!c.tls) return undefined;
  return {
    serverNameOverride: c.tls.serverNameOverride,
    clientCertPair:
      c.tls.certPath && c.tls.keyPath ? { crt: fs.readFileSync(c.tls.certPath), key: fs.readFileSync(c.tls.keyPath) } : undefined,
  };
}

export function connectClient(c: TemporalConfig & { address: string }): Promise<Connection> {
  return Connection.connect({ address: c.address, tls: tlsOptions(c), apiKey: c.apiKey });
}

export function connectWorker(c: TemporalConfig & { address: string }): Promise<NativeConnection> {
  return NativeConnection.connect({ address: c.address, tls: tlsOptions(c), apiKey: c.apiKey });
}

/** Client and worker data converter: payloads encrypted when VSR_PAYLOAD_KEY is set (all of them must agree). */
export function dataConverter(config: Config): DataConverter | undefined {
  const codec = config.safety.payloadCodec;
  return codec ? { payloadCodecs: [codec] } : undefined;
}
