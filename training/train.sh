#!/usr/bin/env bash
# One command: retrain the engine's model, export it to localcloud/engine/models/sr2x.onnx and rewrite
# training/MODEL_CARD.md. Default: the reduced recipe (under an hour on 2 CPU cores);
# --full: the committed model's recipe (28k steps, all scales; hours on 2 cores, minutes on a GPU).
# Resumable: rerunning continues from the run folder's last checkpoint.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${VSR_CACHE_DIR:-$HOME/.cache/vsr}
py=$(bash "$here/setup-venv.sh")
if [ "${1:-}" = "--full" ]; then
  run=$cache/runs/full
  args=(--steps 28000)
else
  run=$cache/runs/reduced
  args=(--reduced)
fi
cd "$here"
"$py" train.py --out "$run" --channels 16 --layers 2 "${args[@]}"
"$py" evaluate.py --run "$run" --onnx "$here/../localcloud/engine/models/sr2x.onnx" --card "$here/MODEL_CARD.md" --json "$run/evaluation.json"
