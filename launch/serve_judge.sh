#!/usr/bin/env bash
# Serve the consistency judge as an OpenAI-compatible server (vLLM) for judge=endpoint.
#
# Prerequisites:
#   - a GPU node with the cluster extras installed: pip install -e '.[gpu]'   (provides `vllm`)
#   - the judge weights reachable by vLLM: a local path in MODEL, or a Hugging Face id already in the cache
#   - optional: R1_JUDGE_API_KEY in the environment to require that key (passed to vLLM as VLLM_API_KEY,
#     never on the command line); training reads the same variable (r1_reward.judge.api_key_env)
#
# Then train with:
#   python -m r1_reward.main_ppo +experiment=stable_reinforce judge=endpoint \
#       r1_reward.judge.base_url=http://<this host>:${PORT}/v1 r1_reward.judge.model=${SERVED_NAME}
#
# Usage: launch/serve_judge.sh [any extra `vllm serve` flags]   (-h or --help: this text; nothing starts)
#   e.g. MODEL=/models/Qwen2.5-VL-3B-Instruct PORT=8001 launch/serve_judge.sh --max-num-seqs 128
set -euo pipefail

usage() {
    # The header above, without the shebang and #SBATCH lines: the script's usage.
    sed -n '2,/^[^#]/{/^#SBATCH/d;/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
}

wants_help() {
    local arg
    for arg in "$@"; do
        [[ "$arg" == -h || "$arg" == --help ]] && return 0
    done
    return 1
}

if wants_help "$@"; then
    usage
    exit 0
fi

MODEL=${MODEL:-Qwen/Qwen2.5-VL-7B-Instruct}
SERVED_NAME=${SERVED_NAME:-$MODEL}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
TP=${TP:-1}
GPU_MEMORY_UTILIZATION=${GPU_MEMORY_UTILIZATION:-0.85}
MAX_MODEL_LEN=${MAX_MODEL_LEN:-4096}
MAX_NUM_SEQS=${MAX_NUM_SEQS:-256}
VLLM_BIN=${VLLM_BIN:-vllm}

if ! command -v "$VLLM_BIN" >/dev/null 2>&1; then
    echo "serve_judge.sh: '$VLLM_BIN' not found: install the GPU extras (pip install -e '.[gpu]') or set VLLM_BIN" >&2
    exit 1
fi

if [[ -n "${R1_JUDGE_API_KEY:-}" ]]; then
    export VLLM_API_KEY="$R1_JUDGE_API_KEY"
fi

echo "serve_judge.sh: serving $MODEL as '$SERVED_NAME' on http://$HOST:$PORT/v1 (tp=$TP)" >&2
exec "$VLLM_BIN" serve "$MODEL" \
    --served-model-name "$SERVED_NAME" \
    --host "$HOST" \
    --port "$PORT" \
    --tensor-parallel-size "$TP" \
    --gpu-memory-utilization "$GPU_MEMORY_UTILIZATION" \
    --max-model-len "$MAX_MODEL_LEN" \
    --max-num-seqs "$MAX_NUM_SEQS" \
    "$@"
