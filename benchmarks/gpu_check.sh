#!/usr/bin/env bash
# One GPU check for a single H100/H200, no network needed (<= 8 min): runs benchmarks/gpu_check.py and writes JSON.
# Prerequisites: the machine's own torch with CUDA (2.11 on verl 0.9.1's GPU set), and either this package's GPU env
# or the wheels in $WHEELS (verl 0.9.1, transformers 5.9.0, r1_reward; under 60 MiB), installed with --no-deps.
# Usage: bash benchmarks/gpu_check.sh [--dry-run] [--out FILE] [any other gpu_check.py option]
#   --dry-run  tiny shapes on CPU: checks the script itself (the test suite runs it).
set -euo pipefail

PYTHON=${PYTHON:-python3}
OUT_DEFAULT=${OUT:-outputs/gpu_check/gpu_check.json}
WHEELS=${WHEELS:-}

cd "$(dirname "$0")/.."
if [[ -n "$WHEELS" ]]; then
    # Offline install of the carried wheels on top of the machine's torch; nothing is fetched.
    "$PYTHON" -m pip install -q --no-index --no-deps "$WHEELS"/*.whl
fi
args=("$@")
if [[ " ${args[*]} " != *" --out "* ]]; then
    args+=(--out "$OUT_DEFAULT")
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
exec "$PYTHON" benchmarks/gpu_check.py "${args[@]}"
