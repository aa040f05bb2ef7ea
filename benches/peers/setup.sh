#!/usr/bin/env bash
# Creates or updates the virtualenv for the peer benchmark and installs requirements.txt into it.
#   benches/peers/setup.sh [VENV]     (default: target/peers-venv under the repository root)
# Idempotent and quiet: does nothing when the venv already holds this requirements.txt.
# PYTHON=python3.11 picks the interpreter used to create the venv (default: python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${1:-$root/target/peers-venv}"
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac
req="$here/requirements.txt"
python="${PYTHON:-python3}"

stamp="$venv/.peers-requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
    "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "peers needs Python >= 3.10")'
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv"
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
# --no-deps: requirements.txt is a complete lock (see its header for why).
"$venv/bin/python" -m pip install -q --no-deps -r "$req"
"$venv/bin/python" - <<'PY'
import os
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import datasketch, rensa, gaoya, text_dedup.minhash  # noqa: F401  fail here, not mid-benchmark
PY
echo "$want" > "$stamp"
