#!/usr/bin/env bash
# Idempotent provisioning: npm packages, the TypeScript build, ffmpeg and the pinned Temporal CLI;
# with --training also the PyTorch training venv (for `npm test` and CI; the quick start skips it).
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
if [ ! -f "$stamp" ] || [ -n "$(find workflows activities workers client localcloud test tsconfig.json -newer "$stamp" \( -name '*.ts' -o -name '*.json' \) -print -quit)" ]; then
  echo "[setup] tsc build"
  rm -rf dist
  npx tsc -p tsconfig.json
  touch "$stamp"
fi

# ffmpeg and the Temporal CLI: one implementation, shared with `vsr dev` (client/embedded/tools.ts).
node bin/vsr.js setup

# The independent official clients (Python, Go) the stand-in's tests use: cached in ~/.cache/vsr.
bash test/clients/setup.sh

if [ "${1:-}" = "--training" ]; then
  bash training/setup-venv.sh >/dev/null
fi
