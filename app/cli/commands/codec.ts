// `vsr codec-server [--port N] [--host H] [--origin URL]...`: decrypts payloads for the Web UI, for key holders only.
import { DEFAULT_UI_PORT, loadConfig } from '../../../config';
import { startCodecServer } from '../../codec/server';
import { intFlag, parseArgs, strFlag, UsageError } from '../args';

export const DEFAULT_CODEC_PORT = 8888;

export async function codecServerCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['port', 'host', 'origin'], []);
  const codec = loadConfig().safety.payloadCodec;
  if (!codec) throw new UsageError('codec-server needs the payload key: set VSR_PAYLOAD_KEY (and VSR_PAYLOAD_KEYS_OLD for older keys)');
  const server = await startCodecServer({
    codec,
    host: strFlag(p, 'host') ?? '127.0.0.1',
    port: intFlag(p, 'port', 0, 65535) ?? DEFAULT_CODEC_PORT,
    origins: (
      strFlag(p, 'origin') ??
      process.env.TEMPORAL_UI_URL ??
      `http://127.0.0.1:${DEFAULT_UI_PORT},http://localhost:${DEFAULT_UI_PORT}`
    )
      .split(',')
      .map((o) => o.trim().replace(/\/+$/, '')),
    token: process.env.VSR_CODEC_TOKEN || undefined,
  });
  console.log(`codec server: ${server.url} (key id ${codec.keyId}); in the Web UI set the codec endpoint to it`);
  await new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
