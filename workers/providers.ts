// Builds the provider clients for the configured provider: the same code, only endpoints and credentials differ.
import Credential from '@alicloud/credentials';
import { createObjectStorage } from '../activities/provider/oss';
import { createViapiClient } from '../activities/provider/viapi';
import type { ActivityDeps } from '../activities/deps';
import { ConfigError, type Config } from '../config';

export type ProviderDeps = Pick<ActivityDeps, 'provider' | 'viapi' | 'storage' | 'workBucket'>;

export function buildProvider(config: Config): ProviderDeps {
  if (config.provider === 'local') {
    const l = config.local;
    const credential = { accessKeyId: l.accessKeyId, accessKeySecret: l.accessKeySecret };
    const viapi = new URL(l.viapiEndpoint);
    return {
      provider: 'local',
      viapi: createViapiClient({ endpoint: viapi.host, protocol: viapi.protocol === 'https:' ? 'https' : 'http', credential }),
      storage: createObjectStorage({ endpoint: l.ossEndpoint, credential, pathStyle: true }),
      workBucket: l.bucket,
    };
  }
  const a = config.alibaba;
  if (!a.bucket) throw new ConfigError('VSR_OSS_BUCKET must name your OSS bucket in cn-shanghai (temporary uploads go there)');
  // Alibaba's default chain: ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, the profile file, or a RAM role. Never in workflow inputs.
  const credential = new Credential();
  return {
    provider: 'alibaba',
    viapi: createViapiClient({ endpoint: a.viapiEndpoint, protocol: 'https', credential }),
    storage: createObjectStorage({ endpoint: a.ossEndpoint, region: a.ossRegion, credential, pathStyle: false }),
    workBucket: a.bucket,
  };
}
