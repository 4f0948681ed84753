// Stable ids, computable in workflows, activities and clients alike (no Node crypto: workflow code must stay pure).
import { BIT_RATE_MBPS, type SuperResolveInput } from './contract';
import { describeLocation } from './locations';

/** 64-bit FNV-1a as 16 hex digits; for ids, not for security. */
export function stableHash(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
    h2 = (h2 ^ (h2 >>> 15)) >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}

/** A readable, id-safe fragment of a name. */
export function idFragment(name: string, max = 40): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, max);
}

/**
 * The workflow id of one video's job: from the caller's key when given, else from what determines the
 * output (source, destination, bitrate). Same id, same workflow: a second start never pays again.
 */
export function workflowIdFor(input: SuperResolveInput, key?: string): string {
  const sourceText = input.source.kind === 'url' ? input.source.url : describeLocation(input.source);
  const basis = key ?? JSON.stringify([sourceText, describeLocation(input.destination), input.bitRateMbps ?? BIT_RATE_MBPS.default]);
  const readable = idFragment(key ?? describeLocation(input.source).split('/').pop() ?? 'video');
  return `vsr-${readable}-${stableHash(basis)}`;
}

/** The submit lane of a provider account (`account`: a non-secret label, such as a hash of the AccessKey ID). */
export function submitLaneId(account: string): string {
  return `vsr-submit-lane-${stableHash(account)}`;
}
