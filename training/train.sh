#!/usr/bin/env bash
# One command: retrain the engine's model, export it to localcloud/engine/models/sr2x.onnx and rewrite
# training/MODEL_CARD.md.
#   bash training/train.sh          reduced recipe: one 4k-step run on fewer picture scales (about 35 min
#                                   of one core on a busy 2-core machine; under an hour)
#   bash training/train.sh --full   the committed model's recipe: the same 4k-step run on all scales,
#                                   then a warm restart of the schedule continued to 12.5k steps
# Both: 4 conv+ReLU layers of 16 channels (5x5 first), 1x1 tail, half the batches H.264-degraded
# (CRF 12-22; measured: as good on clean input as clean-only training, better on compressed input).
# Resumable: rerunning continues from the run folder's last checkpoint.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${VSR_CACHE_DIR:-$HOME/.cache/vsr}
py=$(bash "$here/setup-venv.sh")
cd "$here"
recipe=(--channels 16 --layers 4 --first-kernel 5 --tail-kernel 1 --compressed 0.5 --crf 12-22)
if [ "${1:-}" = "--full" ]; then
  run=$cache/runs/full
  "$py" train.py --out "$run" "${recipe[@]}" --steps 4000 --val-every 500 --save-every 500
  "$py" train.py --out "$run" "${recipe[@]}" --steps 12500 --val-every 1000 --save-every 500
else
  run=$cache/runs/reduced
  "$py" train.py --out "$run" "${recipe[@]}" --reduced --steps 4000 --val-every 1000
fi
"$py" evaluate.py --run "$run" --onnx "$here/../localcloud/engine/models/sr2x.onnx" --card "$here/MODEL_CARD.md" --json "$run/evaluation.json"
