// What went wrong, from a Temporal failure chain: the innermost cause's type and message.
// Pure, so workflows (batch summaries) and clients (CLI errors) share it.
export function failureMessage(err: unknown): string {
  let e = err as { cause?: unknown; message?: string; type?: string } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  const type = e?.type ? `${e.type}: ` : '';
  return `${type}${e?.message ?? String(err)}`;
}
