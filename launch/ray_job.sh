#!/usr/bin/env bash
# Submit r1_reward RL training to a running Ray cluster with `ray job submit`; any Hydra override passes through.
#
# Prerequisites: a Ray cluster whose dashboard (job API) is reachable at RAY_ADDRESS; r1_reward's dependencies
# installed on every node (the upload carries only this repository's code); `ray` on PATH here. If the cluster uses
# Ray token auth, export RAY_AUTH_MODE=token and RAY_AUTH_TOKEN (or have ~/.ray/auth_token) before running this.
#
# Usage (-h or --help prints this and submits nothing):
#   RAY_ADDRESS=http://head-node:8265 launch/ray_job.sh +experiment=stable_reinforce \
#       trainer.nnodes=4 trainer.n_gpus_per_node=8 data.train_files=/data/rl.parquet data.val_files=/data/val.parquet
#
# The job's runtime env uploads WORKING_DIR and sets VERL_USE_EXTERNAL_MODULES=r1_reward.register, so every Ray
# worker registers r1_reward's loss, advantage estimator and reward manager before verl looks them up. It also
# carries every R1_JUDGE_* variable that is set (judge URL, model, API key) and those named in FORWARD_ENV. The
# runtime env goes to `ray job submit` in a file only this user can read (removed on exit), never on its command
# line, where `ps` would show the key to everyone on this machine.
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

RAY_ADDRESS=${RAY_ADDRESS:-http://127.0.0.1:8265}                    # Ray dashboard / job API of the cluster
WORKING_DIR=${WORKING_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}  # uploaded as the job's working dir
PLUGIN_MODULES=${PLUGIN_MODULES:-r1_reward.register}                  # modules every worker imports (comma list)
FORWARD_ENV=${FORWARD_ENV:-HF_HOME HF_HUB_OFFLINE HF_DATASETS_OFFLINE WANDB_MODE WANDB_PROJECT}  # copied if set
SUBMISSION_ID=${SUBMISSION_ID:-}                                      # job id to use (empty: Ray picks one)
NO_WAIT=${NO_WAIT:-0}                                                 # 1: return after submitting, no log tail

runtime_env_file=  # the job's runtime env, written below

json_string() {
    local value=$1
    value=${value//\\/\\\\}
    value=${value//\"/\\\"}
    printf '"%s"' "$value"
}

plugin_modules() {
    # Keep modules the caller already registers and add ours once.
    local existing=${VERL_USE_EXTERNAL_MODULES:-}
    case ",$existing," in
        *",$PLUGIN_MODULES,"*) printf '%s' "$existing" ;;
        ",,") printf '%s' "$PLUGIN_MODULES" ;;
        *) printf '%s,%s' "$existing" "$PLUGIN_MODULES" ;;
    esac
}

runtime_env_json() {
    local env_vars name
    local -A added=()
    env_vars="\"VERL_USE_EXTERNAL_MODULES\": $(json_string "$(plugin_modules)")"
    # main_ppo's ray.init() passes its own runtime env (plug-ins, platform); Ray refuses to merge it with this one
    # when a variable appears in both ("Failed to merge the Job's runtime env") unless told to let the driver's win.
    env_vars+=", \"RAY_OVERRIDE_JOB_RUNTIME_ENV\": \"1\""
    for name in $FORWARD_ENV $(compgen -v R1_JUDGE_ || true); do
        if [[ -n "${!name+set}" && -z "${added[$name]:-}" ]]; then
            added[$name]=1
            env_vars+=", $(json_string "$name"): $(json_string "${!name}")"
        fi
    done
    printf '{"working_dir": %s, "excludes": [".git", "outputs", "multirun", "checkpoints", "logs"], "env_vars": {%s}}' \
        "$(json_string "$WORKING_DIR")" "$env_vars"
}

main() {
    [[ -f "$WORKING_DIR/r1_reward/main_ppo.py" ]] ||
        { echo "ray_job.sh: WORKING_DIR=$WORKING_DIR is not the r1_reward repository root: set WORKING_DIR." >&2; exit 1; }
    # JSON is YAML, which is what `ray job submit --runtime-env FILE` reads; mktemp creates the file with mode 600.
    runtime_env_file=$(mktemp "${TMPDIR:-/tmp}/r1_reward-runtime-env.XXXXXX")
    trap 'rm -f "$runtime_env_file"' EXIT
    runtime_env_json >"$runtime_env_file"
    local -a options=(--address "$RAY_ADDRESS" --runtime-env "$runtime_env_file")
    [[ -n "$SUBMISSION_ID" ]] && options+=(--submission-id "$SUBMISSION_ID")
    [[ "$NO_WAIT" == 1 ]] && options+=(--no-wait)
    ray job submit "${options[@]}" -- python -m r1_reward.main_ppo "$@"
}

main "$@"
