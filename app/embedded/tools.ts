// Locating and provisioning the external programs vsr runs: the Temporal CLI (dev server), ffmpeg, and for tests
// Temporal's time-skipping test server.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The Temporal CLI release vsr pins. Newer releases carry a `replace` directive and cannot be `go install`ed. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

/** Heavy builds are cached outside the repository so every clone on this machine reuses them. */
export function cacheDir(): string {
  return process.env.VSR_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'vsr');
}

export function cachedTemporalCliPath(): string {
  return path.join(cacheDir(), 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal');
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** TEMPORAL_CLI, then `temporal` on PATH, then the cached build; undefined when none exists. */
export function findTemporalCli(): string | undefined {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`TEMPORAL_CLI=${fromEnv} does not exist`);
    return fromEnv;
  }
  return onPath('temporal') ?? (fs.existsSync(cachedTemporalCliPath()) ? cachedTemporalCliPath() : undefined);
}

export function temporalCliVersion(cli: string): string {
  const r = spawnSync(cli, ['--version'], { encoding: 'utf8' });
  return (r.stdout || r.stderr).trim();
}

/** Finds the Temporal CLI or builds the pinned version with `go install` into the cache. */
export function ensureTemporalCli(log: (line: string) => void = console.error): string {
  const found = findTemporalCli();
  if (found) return found;
  const target = cachedTemporalCliPath();
  const gobin = path.dirname(target);
  fs.mkdirSync(gobin, { recursive: true });
  log(`[setup] building Temporal CLI ${TEMPORAL_CLI_VERSION} with go install into ${gobin} (several minutes, once per machine)`);
  const r = spawnSync('go', ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
    env: { ...process.env, GOBIN: gobin, GOFLAGS: '-mod=mod' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.error)
    throw new Error(`cannot run go to build the Temporal CLI: ${r.error.message}; install Go, or set TEMPORAL_CLI to an existing binary`);
  if (r.status !== 0 || !fs.existsSync(target)) {
    throw new Error(
      `go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} failed (exit ${r.status}); set TEMPORAL_CLI to an existing binary`,
    );
  }
  return target;
}

/** ffmpeg and ffprobe, installed from Debian's packages when missing and we are root. */
export function ensureFfmpeg(log: (line: string) => void = console.error): void {
  if (onPath('ffmpeg') && onPath('ffprobe')) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) {
    throw new Error('ffmpeg and ffprobe are required but not on PATH: install them (Debian/Ubuntu: sudo apt-get install -y ffmpeg)');
  }
  log('[setup] installing ffmpeg from Debian packages');
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', 'ffmpeg'],
  ]) {
    const r = spawnSync('apt-get', args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status}); install ffmpeg by hand`);
  }
}

/** Temporal's Java test server (time skipping), as published on Maven Central. */
export const TEST_SERVER_ARTIFACT = 'io.temporal:temporal-test-server:1.38.0';

export function cachedTestServerPath(): string {
  return path.join(cacheDir(), 'temporal-test-server', TEST_SERVER_ARTIFACT.split(':')[2], 'temporal-test-server');
}

/** TEMPORAL_TEST_SERVER, then the cached one; undefined when neither exists. */
export function findTestServer(): string | undefined {
  const fromEnv = process.env.TEMPORAL_TEST_SERVER;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`TEMPORAL_TEST_SERVER=${fromEnv} does not exist`);
    return fromEnv;
  }
  return fs.existsSync(cachedTestServerPath()) ? cachedTestServerPath() : undefined;
}

/**
 * The time-skipping test server for workflow tests. The SDK's usual download comes from GitHub; this fetches the
 * same server's jars from Maven Central with Maven instead, and writes a launcher that takes the SDK's arguments
 * (`<port> [--enable-time-skipping]`).
 */
export function ensureTestServer(log: (line: string) => void = console.error): string {
  const found = findTestServer();
  if (found) return found;
  for (const tool of ['java', 'mvn'])
    if (!onPath(tool)) throw new Error(`${tool} is required to fetch the Temporal test server: install a JDK 11+ and Maven`);
  const target = cachedTestServerPath();
  const staging = `${path.dirname(target)}.partial`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  const [groupId, artifactId, version] = TEST_SERVER_ARTIFACT.split(':');
  fs.writeFileSync(
    path.join(staging, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>vsr</groupId><artifactId>temporal-test-server-fetch</artifactId><version>1</version>
<dependencies><dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency></dependencies>
</project>\n`,
  );
  log(`[setup] fetching ${TEST_SERVER_ARTIFACT} and its dependencies from Maven Central into ${path.dirname(target)} (once per machine)`);
  const r = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      path.join(staging, 'pom.xml'),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${path.join(staging, 'lib')}`,
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  if (r.status !== 0) throw new Error(`mvn dependency:copy-dependencies for ${TEST_SERVER_ARTIFACT} failed (exit ${r.status})`);
  const lib = path.join(path.dirname(target), 'lib');
  // Serial GC and the C1 compiler only: the server starts in about a second, within the SDK's 5 s start-up wait.
  fs.writeFileSync(
    path.join(staging, 'temporal-test-server'),
    `#!/bin/sh\n# Temporal's time-skipping test server (${TEST_SERVER_ARTIFACT}); args: <port> [--enable-time-skipping]\nexec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp '${lib}/*' io.temporal.testserver.TestServer "$@"\n`,
    { mode: 0o755 },
  );
  fs.rmSync(path.dirname(target), { recursive: true, force: true });
  fs.renameSync(staging, path.dirname(target));
  return target;
}
