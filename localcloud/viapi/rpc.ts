// The RPC gateway's vocabulary: which (version, action) pairs exist, their errors and their replies.
import type { ServerResponse } from 'node:http';

/** Product and endpoint by API version: the stand-in serves both products on one port. */
export const PRODUCTS: Readonly<Record<string, { product: string; host: string }>> = {
  '2020-03-20': { product: 'videoenhan', host: 'videoenhan.cn-shanghai.aliyuncs.com' },
  '2023-01-17': { product: 'viapi', host: 'viapi.cn-shanghai.aliyuncs.com' },
};

export class RpcError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const missing = (name: string) => new RpcError(400, `Missing${name}`, `${name} is mandatory for this action.`);
export const invalid = (message: string) => new RpcError(400, 'InvalidParameter', message);
export const throttled = () => new RpcError(400, 'Throttling.User', 'Request was denied due to user flow control.');

export interface RpcCall {
  accessKeyId: string;
  /** Query and form parameters together. */
  params: Map<string, string>;
  requestId: string;
  res: ServerResponse;
}

/** A JSON body to send, or 'no-reply' when the handler dealt with the connection itself. */
export type RpcReply = Record<string, unknown> | 'no-reply';
export type RpcAction = (call: RpcCall) => RpcReply;

export const actionKey = (version: string, action: string) => `${version} ${action}`;
