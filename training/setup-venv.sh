#!/usr/bin/env bash
# Provisions the training environment once per machine under ~/.cache/vsr/train-venv/<key> and prints
# its python. Lean: PyPI's torch wheel with --no-deps plus CUDA stand-ins (cuda_stubs.py), about
# 540 MB downloaded instead of ~3.5 GB. Idempotent and cheap when already in place.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${VSR_CACHE_DIR:-$HOME/.cache/vsr}
key=$(cat "$here/requirements.txt" "$here/cuda_stubs.py" | sha256sum | cut -c1-12)
venv=$cache/train-venv/$key
if [ ! -f "$venv/.ready" ]; then
  echo "[setup] training venv (torch without CUDA wheels) into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$here/requirements.txt" >&2
  "$venv/bin/python" "$here/cuda_stubs.py" >&2
  "$venv/bin/python" -c 'import torch, onnx, onnxruntime, PIL; assert not torch.cuda.is_available()'
  touch "$venv/.ready"
fi
ln -sfn "$key" "$cache/train-venv/current"
echo "$venv/bin/python"
