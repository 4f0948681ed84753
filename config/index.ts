// Environment -> typed configuration, validated once, with errors naming the variable.
import os from 'node:os';
import path from 'node:path';
import type { ProviderName } from '../workflows/contract';
import { DEFAULT_TASK_QUEUE } from '../workflows/contract';
import { payloadCodecFromEnv, PayloadKeyError, type AesGcmPayloadCodec } from '../client/payloadCodec';

export const DEFAULT_TEMPORAL_PORT = 7233;
export const DEFAULT_UI_PORT = 8233;
export const DEFAULT_VIAPI_PORT = 8240;
export const DEFAULT_OSS_PORT = 8241;

export interface TemporalConfig {
  /** host:port; undefined means "the embedded default" (a local dev server). */
  address?: string;
  namespace: string;
  tls?: { certPath?: string; keyPath?: string; serverNameOverride?: string };
  apiKey?: string;
  uiUrl?: string;
}

export interface LocalProviderConfig {
  /** The stand-in serves videoenhan 2020-03-20 and viapi 2023-01-17 on one port, dispatched on the version. */
  viapiEndpoint: string;
  ossEndpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  bucket: string;
}

export interface AlibabaProviderConfig {
  /** videoenhan 2020-03-20: SuperResolveVideo, GetAsyncJobResult. */
  videoenhanEndpoint: string;
  /** viapi 2023-01-17: QueryAsyncJobList, CancelWaitingAsyncJob. */
  viapiEndpoint: string;
  /**
   * A non-secret name of the Alibaba account (its id, or the RAM user's name) naming its submit lane. Needed with
   * temporary (STS) credentials, whose AccessKey ID changes; otherwise a hash of the AccessKey ID is used.
   */
  account?: string;
  ossEndpoint: string;
  ossRegion: string;
  bucket: string;
}

export interface Config {
  home: string;
  temporal: TemporalConfig;
  taskQueue: string;
  maxConcurrentActivities: number;
  maxConcurrentWorkflowTasks: number;
  provider: ProviderName;
  workDir: string;
  /** Provider submits per second across all workers (the submit task queue's limit). */
  submitsPerSecond: number;
  /** Multipart part size for uploads, bytes. */
  uploadPartBytes: number;
  local: LocalProviderConfig;
  alibaba: AlibabaProviderConfig;
  safety: SafetyConfig;
}

// ---- Safety: where outputs may go, which URLs may be fetched, payload encryption (kept apart for merges) ----

export interface SafetyConfig {
  /** `VSR_OUTPUT_ROOT`: comma-separated absolute folders and/or oss://bucket/prefix; empty: no restriction. */
  outputRoots: string[];
  /** `VSR_ALLOW_PRIVATE_URLS`: comma-separated non-public addresses/networks (optionally :port) URLs may reach, or `*`. */
  allowPrivateUrls: string[];
  /** `VSR_PAYLOAD_KEY` (and older keys still read, `VSR_PAYLOAD_KEYS_OLD`): payload encryption, when set. */
  payloadCodec?: AesGcmPayloadCodec;
}

function safetyConfig(env: NodeJS.ProcessEnv): SafetyConfig {
  const list = (name: string) =>
    (env[name] ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
  const outputRoots = list('VSR_OUTPUT_ROOT');
  for (const r of outputRoots)
    if (!path.isAbsolute(r) && !/^oss:\/\/[a-z0-9-]{3,63}(\/|$)/.test(r))
      throw new ConfigError(`VSR_OUTPUT_ROOT: ${JSON.stringify(r)} must be an absolute folder or oss://bucket/prefix`);
  let payloadCodec: AesGcmPayloadCodec | undefined;
  try {
    payloadCodec = payloadCodecFromEnv(env);
  } catch (err) {
    throw err instanceof PayloadKeyError ? new ConfigError(err.message) : err;
  }
  return { outputRoots, allowPrivateUrls: list('VSR_ALLOW_PRIVATE_URLS'), payloadCodec };
}

export class ConfigError extends Error {}

/** The stand-in's account as `vsr dev` and `vsr localcloud` start it: a fixed local key, not a secret. */
export const LOCAL_DEV_ACCOUNT = {
  accessKeyId: 'LTAIvsrLocalDevKey',
  accessKeySecret: 'vsr-local-secret-not-for-production',
  bucket: 'vsr-local',
} as const;

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name}=${raw} must be an integer from ${min} to ${max}`);
  return n;
}

/** Where vsr keeps its state (Temporal history, stand-in data) unless VSR_HOME says otherwise. */
export function defaultHome(): string {
  return path.join(os.homedir(), '.vsr');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const provider = (env.VSR_PROVIDER ?? 'local') as ProviderName;
  if (provider !== 'local' && provider !== 'alibaba') throw new ConfigError(`VSR_PROVIDER=${env.VSR_PROVIDER} must be local or alibaba`);
  const home = env.VSR_HOME ?? defaultHome();
  const certPath = env.TEMPORAL_TLS_CERT;
  const keyPath = env.TEMPORAL_TLS_KEY;
  if (Boolean(certPath) !== Boolean(keyPath))
    throw new ConfigError('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together (mTLS for Temporal Cloud)');
  const tlsWanted = Boolean(certPath) || env.TEMPORAL_TLS === 'true' || Boolean(env.TEMPORAL_API_KEY);
  if (env.VSR_VIAPI_ENDPOINT?.startsWith('videoenhan.'))
    throw new ConfigError(
      `VSR_VIAPI_ENDPOINT=${env.VSR_VIAPI_ENDPOINT} names videoenhan: set it to viapi's endpoint (job list and cancel, e.g. viapi.cn-shanghai.aliyuncs.com) and VSR_VIDEOENHAN_ENDPOINT to videoenhan's`,
    );
  return {
    home,
    temporal: {
      address: env.TEMPORAL_ADDRESS || undefined,
      namespace: env.TEMPORAL_NAMESPACE || 'default',
      tls: tlsWanted ? { certPath, keyPath, serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME } : undefined,
      apiKey: env.TEMPORAL_API_KEY || undefined,
      uiUrl: env.TEMPORAL_UI_URL || undefined,
    },
    taskQueue: env.VSR_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    maxConcurrentActivities: int(env, 'VSR_MAX_ACTIVITIES', 20, 1, 10_000),
    maxConcurrentWorkflowTasks: int(env, 'VSR_MAX_WORKFLOW_TASKS', 40, 2, 10_000),
    provider,
    workDir: env.VSR_WORK_DIR || path.join(home, 'work'),
    submitsPerSecond: int(env, 'VSR_SUBMITS_PER_SECOND', 2, 1, 1000),
    uploadPartBytes: int(env, 'VSR_UPLOAD_PART_BYTES', 8 * 1024 * 1024, 100 * 1024, 5 * 1024 * 1024 * 1024),
    local: {
      viapiEndpoint: env.VSR_LOCAL_VIAPI_ENDPOINT || `http://127.0.0.1:${DEFAULT_VIAPI_PORT}`,
      ossEndpoint: env.VSR_LOCAL_OSS_ENDPOINT || `http://localhost:${DEFAULT_OSS_PORT}`,
      accessKeyId: env.VSR_LOCAL_ACCESS_KEY_ID || LOCAL_DEV_ACCOUNT.accessKeyId,
      accessKeySecret: env.VSR_LOCAL_ACCESS_KEY_SECRET || LOCAL_DEV_ACCOUNT.accessKeySecret,
      bucket: env.VSR_LOCAL_BUCKET || LOCAL_DEV_ACCOUNT.bucket,
    },
    alibaba: {
      videoenhanEndpoint: env.VSR_VIDEOENHAN_ENDPOINT || 'videoenhan.cn-shanghai.aliyuncs.com',
      viapiEndpoint: env.VSR_VIAPI_ENDPOINT || 'viapi.cn-shanghai.aliyuncs.com',
      account: env.VSR_ALIBABA_ACCOUNT || undefined,
      ossEndpoint: env.VSR_OSS_ENDPOINT || 'https://oss-cn-shanghai.aliyuncs.com',
      ossRegion: env.VSR_OSS_REGION || 'oss-cn-shanghai',
      bucket: env.VSR_OSS_BUCKET || '',
    },
    safety: safetyConfig(env),
  };
}
