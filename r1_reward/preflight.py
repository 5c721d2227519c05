"""Checks that run in the driver before Ray starts, so a wrong setting costs a second, not Ray's start-up.

``check(config)`` is called once by ``r1_reward.main_ppo.run``; each check raises an error that names the setting and
the fix. Add further checks (GPU count, judge endpoint) as functions called from ``check``.
"""

from pathlib import Path

from omegaconf import DictConfig, ListConfig, OmegaConf

# Input files verl opens in its workers, with the command that makes one.
INPUT_FILES = {
    "data.train_files": "python -m r1_reward.data convert ... --output data/rl.parquet",
    "data.val_files": "python -m r1_reward.data convert ... --output data/val.parquet",
}
TINY_HINT = "for +profile=cpu_tiny: python -m r1_reward.data.toy --out outputs/cpu_tiny/data (R1_TINY_DIR moves it)"
# Values an experiment leaves null on purpose (no silent default: verl's own would train another model), and what to
# set them to.
REQUIRED = {
    "actor_rollout_ref.model.path": (
        "RL starts from the cold-start SFT checkpoint: pass actor_rollout_ref.model.path=<the SFT run's "
        'global_step_N/huggingface folder> (README "Reproduce the paper", step 4 writes it). To train from a base '
        "model instead, say so: actor_rollout_ref.model.path=Qwen/Qwen2.5-VL-7B-Instruct"
    ),
    "reward.reward_model.model_path": (
        "the judge model verl serves in its reward-model pool: your trained R1-Reward checkpoint for the tournament "
        "(an RL run's checkpoints/global_step_N/actor/huggingface)"
    ),
}


def _paths(value) -> list[str]:
    """A file setting's paths: one path, or a list of them (verl accepts both); null means none."""
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, ListConfig | list | tuple) else [str(value)]


def check_input_files(config: DictConfig) -> None:
    """Every local input file exists (remote URLs such as ``hdfs://`` are left to verl)."""
    for key, make in INPUT_FILES.items():
        for path in _paths(OmegaConf.select(config, key)):
            if "://" not in path and not Path(path).is_file():
                raise FileNotFoundError(
                    f"{key}: {Path(path).absolute()} is not a file. Pass {key}=/path/to/file.parquet, "
                    f"or build one ({make}; {TINY_HINT})"
                )


def check_required(config: DictConfig) -> None:
    """No required value is left unset (null, or ``???``); the error says what to set it to."""
    for key, hint in REQUIRED.items():
        parent, _, leaf = key.rpartition(".")
        node = OmegaConf.select(config, parent)
        if node is None or (parent == "reward.reward_model" and not node.get("enable")):
            continue  # the judge model is needed only when verl serves it (judge=pool)
        if OmegaConf.is_missing(node, leaf) or node.get(leaf) is None:
            raise ValueError(f"{key} is unset: {hint}")
    missing = sorted(OmegaConf.missing_keys(config))
    if missing:
        raise ValueError(f"{missing[0]} is unset (??? in the composed config): pass {missing[0]}=<value>")


def check_judge_nodes(config: DictConfig) -> None:
    """Nodes reserved for the judge pool (train.sh's JUDGE_NODES) are used only when the judge runs there."""
    reserved = OmegaConf.select(config, "r1_reward.cluster.judge_node_resource")
    if reserved and config.r1_reward.judge.backend != "pool":
        raise ValueError(
            f"r1_reward.cluster.judge_node_resource={reserved} (JUDGE_NODES in launch/slurm/train.sh) reserves nodes "
            f"for verl's judge pool, but r1_reward.judge.backend={config.r1_reward.judge.backend!r}, so they would "
            "sit idle: use judge=pool, or JUDGE_NODES=0"
        )


def check(config: DictConfig) -> None:
    """All pre-Ray checks, in order."""
    check_judge_nodes(config)
    check_input_files(config)
