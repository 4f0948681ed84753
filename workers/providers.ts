// Builds the provider clients for the configured provider: the same code, only endpoints and credentials differ.
import Credential from '@alicloud/credentials';
import { createObjectStorage } from '../activities/provider/oss';
import { createViapiClient } from '../activities/provider/viapi';
import type { ActivityDeps } from '../activities/deps';
import { ConfigError, type Config } from '../config';

export type ProviderDeps = Pick<ActivityDeps, 'provider' | 'viapi' | 'storage' | 'workBucket' | 'account'>;

/** The account's lane name from a static AccessKey ID: hashed again into the lane's id, never shown as is. */
const accessKeyAccount = (accessKeyId: string) => `ak:${accessKeyId}`;

export function buildProvider(config: Config): ProviderDeps {
  if (config.provider === 'local') {
    const l = config.local;
    const credential = { accessKeyId: l.accessKeyId, accessKeySecret: l.accessKeySecret };
    const viapi = new URL(l.viapiEndpoint);
    return {
      provider: 'local',
      viapi: createViapiClient({
        videoenhanEndpoint: viapi.host,
        viapiEndpoint: viapi.host, // the stand-in serves both products on one port
        protocol: viapi.protocol === 'https:' ? 'https' : 'http',
        credential,
      }),
      storage: createObjectStorage({ endpoint: l.ossEndpoint, credential, pathStyle: true }),
      workBucket: l.bucket,
      account: async () => accessKeyAccount(l.accessKeyId),
    };
  }
  const a = config.alibaba;
  if (!a.bucket) throw new ConfigError('VSR_OSS_BUCKET must name your OSS bucket in cn-shanghai (temporary uploads go there)');
  // Alibaba's default chain: ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, the profile file, or a RAM role. Never in workflow inputs.
  const credential = new Credential();
  return {
    provider: 'alibaba',
    viapi: createViapiClient({ videoenhanEndpoint: a.videoenhanEndpoint, viapiEndpoint: a.viapiEndpoint, protocol: 'https', credential }),
    storage: createObjectStorage({ endpoint: a.ossEndpoint, region: a.ossRegion, credential, pathStyle: false }),
    workBucket: a.bucket,
    account: async () => {
      if (a.account) return `account:${a.account}`;
      const c = await credential.getCredential();
      // Temporary keys change with every refresh: one account would get several lanes, and could pay twice.
      if (c.securityToken || !c.accessKeyId)
        throw new ConfigError('temporary (STS) or no credentials: set VSR_ALIBABA_ACCOUNT to name the Alibaba account (its submit lane)');
      return accessKeyAccount(c.accessKeyId);
    },
  };
}
