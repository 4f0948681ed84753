#!/usr/bin/env bash
# Installs the independent official Alibaba clients that test/integration/officialClients.test.ts drives the
# stand-in with, outside the repo and keyed by what pins them, so a second run costs nothing:
#   ~/.cache/vsr/pyclients   -> a venv with requirements.txt (oss2, alibabacloud-oss-v2, videoenhan/viapi SDKs)
#   ~/.cache/vsr/oss-clients -> the Go program in go/ (alibabacloud-oss-go-sdk-v2, aliyun-oss-go-sdk)
set -euo pipefail
cd "$(dirname "$0")"
cache="${VSR_CACHE_DIR:-$HOME/.cache/vsr}"
mkdir -p "$cache"

key() { cat "$@" | sha256sum | cut -c1-16; }

venv="$cache/pyclients-$(key requirements.txt)"
if [ ! -f "$venv/.complete" ]; then
  # Debian splits venv's pip bootstrap (ensurepip) into python3-venv.
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "[setup] installing python3-venv"
    if [ "$(id -u)" = 0 ]; then
      (apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null)
    else
      sudo apt-get update -qq && sudo apt-get install -y -qq python3 python3-venv >/dev/null
    fi
  fi
  echo "[setup] Python clients into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir -r requirements.txt
  touch "$venv/.complete"
fi
ln -sfn "$venv" "$cache/pyclients"

bin="$cache/goclients-$(key go/go.mod go/go.sum go/main.go)/oss-clients"
if [ ! -x "$bin" ]; then
  echo "[setup] Go clients into $bin"
  mkdir -p "$(dirname "$bin")"
  (cd go && go build -o "$bin.tmp" . && mv "$bin.tmp" "$bin")
fi
ln -sfn "$bin" "$cache/oss-clients"
