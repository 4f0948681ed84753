#!/usr/bin/env bash
# Idempotent provisioning: npm packages, the TypeScript build, ffmpeg and the pinned Temporal CLI;
# with --test also what only the tests need (the time-skipping test server, the PyTorch training venv).
# Cheap when everything is already in place, so `npm test` and `npm run quickstart` call it every time.
set -euo pipefail
cd "$(dirname "$0")/.."
# onnxruntime-node's install script would download GPU binaries from outside the npm registry.
export ONNXRUNTIME_NODE_INSTALL=skip

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] npm ci"
  npm ci --no-audit --no-fund
fi

# Rebuild when any TypeScript source is newer than the last build stamp.
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find workflows activities workers client config app localcloud test tsconfig.json -newer "$stamp" \( -name '*.ts' -o -name '*.json' \) -print -quit)" ]; then
  echo "[setup] tsc build"
  rm -rf dist
  npx tsc -p tsconfig.json
  node dist/workers/bundle.js
  touch "$stamp"
fi

# ffmpeg and the Temporal CLI (and with --test, the time-skipping test server): one implementation, shared
# with `vsr dev` (app/embedded/tools.ts).
if [ "${1:-}" = "--test" ]; then node bin/vsr.js setup --test-server; else node bin/vsr.js setup; fi

# The independent official clients (Python, Go) the stand-in's tests use: cached in ~/.cache/vsr.
bash test/clients/setup.sh

# The training venv (PyTorch without CUDA wheels), for the training script's test.
if [ "${1:-}" = "--test" ]; then
  bash training/setup-venv.sh >/dev/null
fi
