#!/usr/bin/env bash
# One GPU check for a single H100/H200, no network needed (<= 8 min): runs benchmarks/gpu_check.py and writes JSON.
# Prerequisites: torch with CUDA (2.11 on verl 0.9.1's GPU set) and an env where verl 0.9.1's own imports resolve
# (`make setup-gpu`). $WHEELS (a folder with the verl 0.9.1, transformers 5.9.0 and r1_reward wheels, < 60 MiB)
# installs those offline with --no-deps onto an image that has torch; verl's imports also need ray, tensordict,
# pandas, pyarrow, hydra-core, peft, datasets ..., which those wheels do not carry (checked on CPU, not on a GPU).
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
