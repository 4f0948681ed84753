#!/usr/bin/env bash
# One command: retrain the engine's model, export it to localcloud/engine/models/sr2x.onnx and rewrite
# training/MODEL_CARD.md.
#   bash training/train.sh          reduced recipe: one 12k-step run, half the batches H.264-degraded
#                                   (about 15 min on 2 idle cores at 0.06 s/step; well under an hour)
#   bash training/train.sh --full   the committed model's recipe: 4k clean steps (128px crops), then
#                                   6k steps fine-tuning with half the batches H.264-degraded (96px)
# Resumable: rerunning continues from each run folder's last checkpoint.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${VSR_CACHE_DIR:-$HOME/.cache/vsr}
py=$(bash "$here/setup-venv.sh")
cd "$here"
common=(--channels 16 --layers 2)
if [ "${1:-}" = "--full" ]; then
  "$py" train.py --out "$cache/runs/full-clean" "${common[@]}" --steps 4000
  run=$cache/runs/full
  "$py" train.py --out "$run" "${common[@]}" --init "$cache/runs/full-clean/best.pt" --compressed 0.5 --lr 1e-3 --patch 96 --steps 6000 --val-every 500 --save-every 500
else
  run=$cache/runs/reduced
  "$py" train.py --out "$run" "${common[@]}" --reduced --compressed 0.5 --patch 96
fi
"$py" evaluate.py --run "$run" --onnx "$here/../localcloud/engine/models/sr2x.onnx" --card "$here/MODEL_CARD.md" --json "$run/evaluation.json"
