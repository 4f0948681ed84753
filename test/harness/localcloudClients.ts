// Real Alibaba clients (openapi-core, ali-oss) pointed at a running stand-in.
import { createObjectStorage, type ObjectStorage } from '../../activities/provider/oss';
import { createViapiClient, type ViapiClient } from '../../activities/provider/viapi';
import type { LocalCloudEndpoints } from '../../localcloud/server';

export function viapiFor(cloud: LocalCloudEndpoints, secret = cloud.accessKeySecret, accessKeyId = cloud.accessKeyId): ViapiClient {
  const endpoint = cloud.viapiEndpoint.replace(/^https?:\/\//, '');
  return createViapiClient({
    videoenhanEndpoint: endpoint,
    viapiEndpoint: endpoint,
    protocol: 'http',
    credential: { accessKeyId, accessKeySecret: secret },
  });
}

export function ossFor(cloud: LocalCloudEndpoints, secret = cloud.accessKeySecret): ObjectStorage {
  return createObjectStorage({
    endpoint: cloud.ossEndpoint,
    credential: { accessKeyId: cloud.accessKeyId, accessKeySecret: secret },
    pathStyle: true,
  });
}
