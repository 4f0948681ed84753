// The request parameters Alibaba's generated SDKs pass to openapi-core for an RPC action.
import { $OpenApiUtil } from '@alicloud/openapi-core';

export function rpcParams(action: string, version: string): $OpenApiUtil.Params {
  return new $OpenApiUtil.Params({
    action,
    version,
    protocol: 'HTTPS',
    pathname: '/',
    method: 'POST',
    authType: 'AK',
    style: 'RPC',
    reqBodyType: 'formData',
    bodyType: 'json',
  });
}
