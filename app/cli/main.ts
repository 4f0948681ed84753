// The `vsr` command line: thin over the client library and the embedded stack.
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { UsageError } from './args';
import { batchCommand } from './commands/batch';
import { codecServerCommand } from './commands/codec';
import { cancelCommand, statusCommand } from './commands/manage';
import { scheduleCommand } from './commands/schedule';
import { devCommand, localcloudCommand, setupCommand, workerCommand } from './commands/stack';
import { upscaleCommand } from './commands/upscale';

const USAGE = `vsr: durable video super-resolution on Temporal

  vsr upscale [input] [--bitrate N] [--out PATH|oss://bucket/key] [--overwrite]
              [--provider local|alibaba] [--deadline ISO-TIME] [--key K] [--no-wait]
                       upscale 2x (no input: a sample video, on the embedded local stack)
  vsr batch <manifest.json|manifest.csv|folder|oss://bucket/prefix> [--out DIR|oss://b/p]
              [--concurrency N] [--bitrate N] [--force] [--overwrite] [--no-wait]
                       one workflow per video; done videos are skipped; JSON+CSV summary
  vsr schedule create|list|describe|pause|unpause|trigger|backfill|delete ...
                       batch re-runs on Temporal Schedules (vsr schedule for details)
  vsr status <id>      stage, progress, result or error of a workflow
  vsr cancel <id>      cancel a workflow (its cleanup still runs)
  vsr worker           run a worker configured from the environment
  vsr dev [--data DIR] [--port N] [--ui-port N]
                       Temporal dev server + Web UI + local stand-in + worker, in the foreground
  vsr localcloud [--data DIR] [--viapi-port N] [--oss-port N] [--engine neural|lanczos|fast]
                       the local Alibaba Cloud stand-in alone; prints its endpoints as JSON
  vsr codec-server [--port N] [--host H] [--origin URL]
                       decrypts payloads (VSR_PAYLOAD_KEY) for the Temporal Web UI's codec endpoint
  vsr setup [--test-server]
                       install ffmpeg and build the pinned Temporal CLI if missing (and the
                       time-skipping test server the workflow tests use)

Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_CERT/KEY, TEMPORAL_API_KEY, VSR_TASK_QUEUE,
VSR_PROVIDER (local|alibaba), VSR_HOME, VSR_OSS_BUCKET (alibaba), VSR_OUTPUT_ROOT, VSR_ALLOW_PRIVATE_URLS,
VSR_PAYLOAD_KEY; see README.md.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  upscale: upscaleCommand,
  batch: batchCommand,
  schedule: scheduleCommand,
  status: statusCommand,
  cancel: cancelCommand,
  worker: workerCommand,
  dev: devCommand,
  localcloud: localcloudCommand,
  setup: setupCommand,
  'codec-server': codecServerCommand,
};

async function main(argv: string[]): Promise<number> {
  // The SDK's INFO lines (bundling, state changes) drown the progress display; VSR_LOG_LEVEL=WARN or INFO brings them back.
  Runtime.install({ logger: new DefaultLogger((process.env.VSR_LOG_LEVEL as 'WARN' | undefined) ?? 'ERROR') });
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`vsr: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return 2;
  }
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) console.error(`vsr: ${err.message}\n\n${USAGE}`);
    else if (err instanceof ApplicationFailure) console.error(`vsr: ${err.type}: ${err.message}`);
    else console.error(`vsr: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
