#!/usr/bin/env bash
# Multi-node r1_reward RL training on Slurm: one Ray head on the first node, one Ray worker on each other node,
# wait until Ray sees every node and GPU, then train on the head with `python -m r1_reward.main_ppo "$@"`.
#
# Prerequisites on every node: this repository on a shared filesystem, the r1_reward env installed
# (`pip install -e '.[gpu]'`, so `python` and `ray` are on PATH), the model and parquet data readable.
#
# Usage (any Hydra override is passed through to r1_reward.main_ppo; -h or --help prints this, starts nothing):
#   sbatch --nodes=4 --gpus-per-node=8 --cpus-per-task=64 launch/slurm/train.sh \
#       +experiment=stable_reinforce data.train_files=/data/rl.parquet data.val_files=/data/val.parquet
#   JUDGE_NODES=1 sbatch --nodes=5 ... launch/slurm/train.sh +experiment=stable_reinforce ...  # 4 train, 1 judges
#
# trainer.nnodes and trainer.n_gpus_per_node are derived from the allocation (overrides given on the command
# line come later and win). With JUDGE_NODES > 0, verl's separate reward-model pool is switched on
# (reward.reward_model.enable_resource_pool=true) on the last JUDGE_NODES nodes and training gets the rest: each node
# gets a Ray custom resource for its role and verl's two pools are pinned to them (r1_reward.cluster).
# For an external judge server instead, start one with launch/serve_judge.sh and leave JUDGE_NODES=0.
#SBATCH --job-name=r1_reward
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --exclusive
#SBATCH --output=slurm-%j.out
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

GPUS_PER_NODE=${GPUS_PER_NODE:-${SLURM_GPUS_ON_NODE:-}}   # GPUs Ray offers per node (default: Slurm's count)
CPUS_PER_NODE=${CPUS_PER_NODE:-${SLURM_CPUS_PER_TASK:-}}  # CPUs Ray offers per node (empty: Ray detects)
JUDGE_NODES=${JUDGE_NODES:-0}                             # nodes reserved for verl's reward-model (judge) pool
RAY_PORT=${RAY_PORT:-6379}                                # Ray GCS port on the head node
RAY_AUTH_MODE=${RAY_AUTH_MODE:-token}                     # Ray token auth (Ray >= 2.52); "disabled" turns it off
RAY_WAIT_TIMEOUT=${RAY_WAIT_TIMEOUT:-600}                 # seconds to wait for all nodes and GPUs to join
RAY_POLL_INTERVAL=${RAY_POLL_INTERVAL:-5}                 # seconds between cluster checks
LOG_DIR=${LOG_DIR:-logs/slurm-${SLURM_JOB_ID:-local}}     # per-node Ray logs land here
PYTHON=${PYTHON:-python}                                  # interpreter with r1_reward installed
DRIVER_STOP_TIMEOUT=${DRIVER_STOP_TIMEOUT:-20}            # seconds the driver gets to stop on SIGTERM, then SIGKILL

# With JUDGE_NODES > 0 each node gets one of these Ray custom resources, and verl's pools are pinned to them
# (r1_reward.cluster.*_node_resource): Ray would otherwise place training and judge bundles on any node.
TRAIN_NODE_RESOURCE=r1_reward_train_node
JUDGE_NODE_RESOURCE=r1_reward_judge_node

ray_pids=()       # the `srun ... ray start --block` steps, one per node
declare -A ray_node  # node name of each of those steps
declare -A ray_log   # log file of each of those steps
driver_pid=          # the training driver, once started

die() {
    echo "train.sh: $*" >&2
    exit 1
}

stop_driver() {
    # The driver runs in its own process group (see train). After a lost head node it can hang in Ray's shutdown,
    # waiting for a GCS that is gone: SIGTERM, then SIGKILL the whole group after DRIVER_STOP_TIMEOUT seconds.
    [[ -n "$driver_pid" ]] && kill -0 "$driver_pid" 2>/dev/null || return 0
    kill -TERM -- "-$driver_pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$driver_pid" 2>/dev/null && ((waited < DRIVER_STOP_TIMEOUT)); do
        sleep 1
        waited=$((waited + 1))
    done
    if kill -0 "$driver_pid" 2>/dev/null; then
        echo "train.sh: the training driver did not stop within ${DRIVER_STOP_TIMEOUT}s of SIGTERM: killed it" >&2
    fi
    kill -KILL -- "-$driver_pid" 2>/dev/null || true
}

cleanup() {
    # Stop the driver and the Ray steps started below; Slurm would kill them at job end anyway, this makes it prompt.
    stop_driver
    for pid in "${ray_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}

track_ray_step() {
    local pid=$1 node=$2 log=$3
    ray_pids+=("$pid")
    ray_node[$pid]=$node
    ray_log[$pid]=$log
}

node_resources() {
    # Ray options offering this node's GPUs, CPUs and (with judge nodes) its role resource; $1: train or judge.
    local role=$1
    node_options=(--num-gpus="$GPUS_PER_NODE")
    [[ -n "$CPUS_PER_NODE" ]] && node_options+=(--num-cpus="$CPUS_PER_NODE")
    if ((JUDGE_NODES > 0)); then
        local resource=$TRAIN_NODE_RESOURCE
        [[ "$role" == judge ]] && resource=$JUDGE_NODE_RESOURCE
        node_options+=(--resources="{\"$resource\": 1}")
    fi
    return 0
}

start_head() {
    local node=$1 ip=$2
    local -a node_options
    node_resources train
    local -a resources=("${node_options[@]}")
    echo "Starting the Ray head on $node ($ip:$RAY_PORT), log $LOG_DIR/ray-head-$node.log"
    srun --nodes=1 --ntasks=1 -w "$node" \
        ray start --head --node-ip-address="$ip" --port="$RAY_PORT" "${resources[@]}" --block \
        >"$LOG_DIR/ray-head-$node.log" 2>&1 &
    track_ray_step "$!" "$node" "$LOG_DIR/ray-head-$node.log"
}

start_worker() {
    local node=$1 address=$2 role=$3
    local -a node_options
    node_resources "$role"
    local -a resources=("${node_options[@]}")
    echo "Starting a Ray worker on $node ($role), log $LOG_DIR/ray-worker-$node.log"
    srun --nodes=1 --ntasks=1 -w "$node" \
        ray start --address="$address" "${resources[@]}" --block \
        >"$LOG_DIR/ray-worker-$node.log" 2>&1 &
    track_ray_step "$!" "$node" "$LOG_DIR/ray-worker-$node.log"
}

require_ray_steps_alive() {
    local pid
    for pid in "${ray_pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || die "a Ray node exited before the cluster was complete: see the logs in $LOG_DIR."
    done
}

wait_for_cluster() {
    local address=$1 nodes=$2 gpus=$3 waited=0
    # timeout: one check must never hang the job (a head that accepts connections but never answers).
    until timeout 120 "$PYTHON" -m r1_reward.cluster.cluster_ready --address "$address" --nodes "$nodes" --gpus "$gpus"; do
        require_ray_steps_alive
        if ((waited >= RAY_WAIT_TIMEOUT)); then
            die "Ray did not report $nodes nodes and $gpus GPUs within ${RAY_WAIT_TIMEOUT}s." \
                "Check the worker logs in $LOG_DIR (a node that cannot reach $address, e.g. a firewall" \
                "on port $RAY_PORT, or GPUs hidden from Ray), or raise RAY_WAIT_TIMEOUT."
        fi
        sleep "$RAY_POLL_INTERVAL"
        waited=$((waited + RAY_POLL_INTERVAL))
    done
}

require_judge_pool() {
    # JUDGE_NODES only reserves nodes; the judge runs there only with verl's reward-model pool (judge=pool, the
    # paper's experiments' default). An explicit other judge is refused here, before Ray starts; an experiment whose
    # default is another judge is refused by main_ppo's pre-Ray checks (r1_reward/preflight.py).
    ((JUDGE_NODES > 0)) || return 0
    local arg
    for arg in "$@"; do
        if [[ "$arg" =~ ^\+?judge=(.*)$ && "${BASH_REMATCH[1]}" != pool ]]; then
            die "JUDGE_NODES=$JUDGE_NODES reserves node(s) for verl's judge pool, but $arg puts the judge elsewhere," \
                "so they would sit idle: use judge=pool, or set JUDGE_NODES=0."
        fi
    done
}

train() {
    # The driver runs in the background so that a Ray node that dies mid-run (its step exits) stops the job with
    # a message naming the node, instead of verl waiting on actors that can no longer be placed. It gets its own
    # process group (setsid), so that stop_driver can end it and anything it started, whatever state Ray is in.
    setsid "$PYTHON" -m r1_reward.main_ppo "$@" &
    driver_pid=$!
    local pid
    while kill -0 "$driver_pid" 2>/dev/null; do
        for pid in "${ray_pids[@]}"; do
            if ! kill -0 "$pid" 2>/dev/null; then
                echo "train.sh: the Ray node on ${ray_node[$pid]} exited during training, so training was stopped:" \
                    "see ${ray_log[$pid]} (and the Ray session logs of that node)." >&2
                stop_driver
                exit 1
            fi
        done
        sleep "$RAY_POLL_INTERVAL"
    done
    wait "$driver_pid"
}

share_ray_token() {
    # An explicit Ray address never picks up ~/.ray/auth_token by itself, so every node, the readiness check and
    # the driver get the mode and one per-job token through the environment (srun passes it on).
    export RAY_AUTH_MODE
    if [[ "$RAY_AUTH_MODE" == token && -z "${RAY_AUTH_TOKEN:-}" ]]; then
        RAY_AUTH_TOKEN=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
        export RAY_AUTH_TOKEN
    fi
}

main() {
    [[ -n "${SLURM_JOB_NODELIST:-}" ]] || die "SLURM_JOB_NODELIST is unset: submit this script with sbatch."
    [[ -n "$GPUS_PER_NODE" ]] || die "GPUs per node unknown: request them (sbatch --gpus-per-node=8) or set GPUS_PER_NODE."
    local -a nodes
    mapfile -t nodes < <(scontrol show hostnames "$SLURM_JOB_NODELIST")
    local total=${#nodes[@]}
    local train_nodes=$((total - JUDGE_NODES))
    ((train_nodes >= 1)) || die "JUDGE_NODES=$JUDGE_NODES leaves no training node out of $total: allocate more nodes."
    require_judge_pool "$@"

    mkdir -p "$LOG_DIR"
    share_ray_token
    trap cleanup EXIT
    trap 'exit 143' TERM INT
    local head=${nodes[0]}
    local head_ip
    head_ip=$(srun --nodes=1 --ntasks=1 -w "$head" hostname --ip-address | awk '{print $1}')
    local address="$head_ip:$RAY_PORT"
    start_head "$head" "$head_ip"
    local index role
    for ((index = 1; index < total; index++)); do
        role=train
        ((index >= train_nodes)) && role=judge
        start_worker "${nodes[$index]}" "$address" "$role"
    done
    wait_for_cluster "$address" "$total" $((total * GPUS_PER_NODE))

    local -a derived=(trainer.nnodes="$train_nodes" trainer.n_gpus_per_node="$GPUS_PER_NODE")
    if ((JUDGE_NODES > 0)); then
        derived+=(reward.reward_model.enable_resource_pool=true reward.reward_model.nnodes="$JUDGE_NODES"
            reward.reward_model.n_gpus_per_node="$GPUS_PER_NODE"
            r1_reward.cluster.train_node_resource="$TRAIN_NODE_RESOURCE"
            r1_reward.cluster.judge_node_resource="$JUDGE_NODE_RESOURCE")
    fi
    echo "Training on $head: ${derived[*]} $*"
    export RAY_ADDRESS="$address"
    train "${derived[@]}" "$@"
}

main "$@"
