// Connects the CLI to Temporal: the configured address, a running `vsr dev`, or a freshly started embedded stack.
import { Client } from '@temporalio/client';
import { DEFAULT_TEMPORAL_PORT, DEFAULT_UI_PORT, type Config } from '../../config';
import { connectClient, dataConverter } from '../../config/connection';
import { portAnswers } from '../embedded/devServer';
import { startEmbeddedStack } from '../embedded/stack';

export interface Session {
  client: Client;
  uiUrl: string;
  /** Set when this command started the stack itself and must stop it. */
  stop: () => Promise<void>;
  embedded: boolean;
}

export async function openSession(config: Config, allowEmbedded: boolean): Promise<Session> {
  const ns = config.temporal.namespace;
  const configured = config.temporal.address;
  if (configured || (await portAnswers(DEFAULT_TEMPORAL_PORT))) {
    const address = configured ?? `127.0.0.1:${DEFAULT_TEMPORAL_PORT}`;
    const connection = await connectClient({ ...config.temporal, address });
    return {
      client: new Client({ connection, namespace: ns, dataConverter: dataConverter(config) }),
      uiUrl: config.temporal.uiUrl ?? (configured ? '' : `http://127.0.0.1:${DEFAULT_UI_PORT}`),
      stop: () => connection.close(),
      embedded: false,
    };
  }
  if (!allowEmbedded)
    throw new Error(
      `no Temporal server answers on 127.0.0.1:${DEFAULT_TEMPORAL_PORT} and TEMPORAL_ADDRESS is not set; start one with \`vsr dev\``,
    );
  console.error('[vsr] no Temporal server configured or running: starting the embedded stack (dev server, local stand-in, worker)');
  const stack = await startEmbeddedStack({ config });
  return { client: stack.client, uiUrl: stack.uiUrl, stop: stack.stop, embedded: true };
}

export function workflowUiLink(uiUrl: string, namespace: string, workflowId: string): string | undefined {
  return uiUrl ? `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}` : undefined;
}
