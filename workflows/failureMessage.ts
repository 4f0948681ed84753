// What went wrong, from a Temporal failure chain: the innermost cause's type and message.
// Pure, so workflows (batch summaries) and clients (CLI errors) share it.
export function failureMessage(err: unknown): string {
  const e = innermostCause(err);
  const type = e?.type ? `${e.type}: ` : '';
  return `${type}${e?.message ?? String(err)}`;
}

/** The end of a failure's cause chain: what the workflow or activity threw. */
export function innermostCause(err: unknown): { name?: string; message?: string; type?: string } | undefined {
  let e = err as { cause?: unknown; name?: string; message?: string; type?: string } | undefined;
  while (e?.cause) e = e.cause;
  return e;
}
