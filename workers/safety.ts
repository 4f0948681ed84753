// The safety settings as activity dependencies: output roots, and what URL fetches may reach besides public addresses.
import type { ActivityDeps } from '../activities/deps';
import type { OutputRoot } from '../activities/destination';
import { AllowListError, parseAllowList } from '../activities/net/addresses';
import { ConfigError, type Config } from '../config';
import { parseOssPrefix } from '../workflows/locations';

export function safetyDeps(config: Config): Pick<ActivityDeps, 'outputRoots' | 'urlPolicy' | 'payloadsEncrypted'> {
  const outputRoots = config.safety.outputRoots.map((r): OutputRoot => {
    const oss = parseOssPrefix(r);
    return oss ? { kind: 'oss', ...oss } : { kind: 'local', path: r };
  });
  const allowed = [...config.safety.allowPrivateUrls];
  // The local stand-in is on this machine: its OSS (uploads' probes, result URLs) is fetched on purpose.
  if (config.provider === 'local') allowed.push(new URL(config.local.ossEndpoint).host);
  try {
    return { outputRoots, urlPolicy: { allow: parseAllowList(allowed.join(',')) }, payloadsEncrypted: Boolean(config.safety.payloadCodec) };
  } catch (err) {
    if (err instanceof AllowListError) throw new ConfigError(err.message);
    throw err;
  }
}
