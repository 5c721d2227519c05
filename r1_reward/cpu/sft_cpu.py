"""CPU entry point for verl 0.9.1's SFT trainer, so the cold-start stage runs on a laptop and in CI.

``python -m r1_reward.cpu.sft_cpu +profile=cpu_tiny data.train_files=… model.path=…`` (inside a loopback-only
network namespace) composes ``conf/sft/r1_reward_sft.yaml`` and trains with verl's own ``SFTTrainer``.

Why it exists: verl's ``run_sft`` (``verl/trainer/sft_trainer.py``) opens the process group through
``initialize_global_process_group`` (``verl/utils/distributed.py`` line 63), whose backend is
``f"cpu:gloo,{get_device_name()}:{get_nccl_backend()}"``: on the CPU platform that is ``"cpu:gloo,cpu:gloo"``,
which torch rejects as a duplicate device. This entry does what ``run_sft`` does (open the process group, build
``SFTTrainer``, ``fit``, close it) with plain ``"gloo"``, after activating r1_reward's CPU platform
(``r1_reward/cpu/platform.py``: device "cpu", FSDP engines for it) and the torchvision-free processor path. It
patches nothing in verl; ``tests/test_verl_api.py`` fails if ``run_sft`` or that backend line changes.
Single process: no ``torchrun`` needed (rank 0 of 1 on a free loopback port).
"""

import os
import socket

import hydra
from omegaconf import DictConfig

CONFIG_PATH = "../conf/sft"
CONFIG_NAME = "r1_reward_sft"


def single_process_env() -> None:
    """Rank 0 of a world of 1 on 127.0.0.1, unless a launcher (torchrun) already set the rendezvous."""
    if "MASTER_PORT" not in os.environ:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            os.environ["MASTER_PORT"] = str(probe.getsockname()[1])
    for name, value in {"MASTER_ADDR": "127.0.0.1", "RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1"}.items():
        os.environ.setdefault(name, value)


def activate_cpu() -> None:
    """The CPU platform (verl device "cpu", gloo, FSDP engines) and image processing without torchvision."""
    from r1_reward import qwen_vl
    from r1_reward.cpu import platform

    qwen_vl.enable()
    platform.select_and_activate()


def run_sft_on_cpu(config: DictConfig) -> None:
    """verl's ``run_sft`` with a ``"gloo"`` process group (see the module docstring)."""
    import torch.distributed
    from verl.trainer.sft_trainer import SFTTrainer
    from verl.utils.distributed import destroy_global_process_group

    single_process_env()
    activate_cpu()
    torch.distributed.init_process_group(backend="gloo")
    try:
        SFTTrainer(config=config).fit()
    finally:
        destroy_global_process_group()


@hydra.main(config_path=CONFIG_PATH, config_name=CONFIG_NAME, version_base=None)
def main(config: DictConfig) -> None:
    run_sft_on_cpu(config)


if __name__ == "__main__":
    main()
