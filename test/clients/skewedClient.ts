// A client machine whose clock is off: run as a child process (`node skewedClient.js`) with
// VSR_CLOCK_SHIFT_MS, it shifts its own Date and calls the stand-in through the unmodified openapi-core
// and ali-oss, then prints what happened as one JSON line. (Shifting Date in the test's own process would
// shift the stand-in's clock too.)
import OpenApi, { $OpenApiUtil } from '@alicloud/openapi-core';
import * as $dara from '@darabonba/typescript';
import OSS from 'ali-oss';
import { rpcParams } from '../harness/rpc';

const shift = Number(process.env.VSR_CLOCK_SHIFT_MS);
const RealDate = Date;
class ShiftedDate extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(RealDate.now() + shift);
    else super(...(args as [string]));
  }
  static override now(): number {
    return RealDate.now() + shift;
  }
}
globalThis.Date = ShiftedDate as DateConstructor;

async function main(): Promise<void> {
  const env = process.env as Record<string, string>;
  const out: Record<string, unknown> = {};
  const viapi = new OpenApi(
    new $OpenApiUtil.Config({ endpoint: env.VSR_VIAPI_HOST, protocol: 'http', accessKeyId: env.VSR_AK, accessKeySecret: env.VSR_SK }),
  );
  const params = rpcParams('GetAsyncJobResult', '2023-01-17');
  try {
    await viapi.callApi(params, new $OpenApiUtil.OpenApiRequest({ body: { JobId: 'x' } }), new $dara.RuntimeOptions({}));
    out.viapi = 'accepted';
  } catch (err) {
    out.viapi = (err as { code?: string }).code;
  }
  const oss = new OSS({
    bucket: env.VSR_BUCKET,
    endpoint: env.VSR_OSS_ENDPOINT,
    accessKeyId: env.VSR_AK,
    accessKeySecret: env.VSR_SK,
    sldEnable: true,
  } as OSS.Options);
  try {
    await oss.put('skewed/put.txt', Buffer.from('late'));
    out.oss = 'stored';
  } catch (err) {
    out.oss = (err as { code?: string }).code;
  }
  console.log(JSON.stringify(out));
}

void main();
