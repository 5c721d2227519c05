"""The SFT stage: the paper's config composes on verl's SFT trainer config, and the CPU tiny profile really trains."""

import inspect
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hydra import compose, initialize_config_dir

from r1_reward.data import Source, convert
from r1_reward.data.journal import Annotation, JournalWriter, row_key
from r1_reward.data.select import write_sft

CONF = Path(__file__).resolve().parents[2] / "conf" / "sft"


def compose_sft(overrides: list[str]):
    with initialize_config_dir(config_dir=str(CONF), version_base=None):
        return compose(config_name="r1_reward_sft", overrides=overrides)


def test_paper_settings_on_verl_sft_config():
    config = compose_sft([])
    assert (config.optim.lr, config.data.train_batch_size, config.trainer.total_epochs) == (1e-5, 256, 1)
    assert config.data.messages_key == "messages" and config.data.image_key == "images"
    assert "hf_model" in config.checkpoint.save_contents
    assert config.engine.strategy == "fsdp"  # verl's defaults underneath are kept


def test_cpu_profile_overrides():
    config = compose_sft(["+profile=cpu_tiny"])
    assert (config.trainer.device, config.engine.strategy, config.model.use_remove_padding) == ("cpu", "fsdp2", False)
    assert config.model.override_config.attn_implementation == "sdpa"
    assert config.trainer.total_training_steps == 3


def test_verl_run_sft_is_what_the_cpu_entry_mirrors():
    """r1_reward/cpu/sft_cpu.py re-does run_sft with a gloo group; fail loudly if verl's version changes."""
    from verl.trainer import sft_trainer
    from verl.utils import distributed

    run_sft = inspect.getsource(sft_trainer.run_sft)
    for step in (
        "initialize_global_process_group()",
        "SFTTrainer(config=config)",
        ".fit()",
        "destroy_global_process_group()",
    ):
        assert step in run_sft, f"verl's run_sft changed ({step} missing): revisit r1_reward/cpu/sft_cpu.py"
    backend_line = 'backend = f"cpu:gloo,{get_device_name()}:{get_nccl_backend()}"'
    assert backend_line in inspect.getsource(distributed.initialize_global_process_group)


def sft_parquet(tmp_path: Path, image_root: Path, samples) -> Path:
    rows = [
        samples.pairwise(id=f"p{i}", chosen=f"good answer {i}", image=("red.png", "blue.png")[i % 2]) for i in range(12)
    ]
    convert(
        [Source("pairwise", samples.write_jsonl(tmp_path / "p.jsonl", rows))],
        tmp_path / "rl.parquet",
        image_root,
        progress=False,
    )
    writer = JournalWriter(tmp_path / "j.jsonl")
    for row, record in enumerate(pq.read_table(tmp_path / "rl.parquet").to_pylist()):
        truth = record["reward_model"]["ground_truth"]
        reply = f"<think>response {truth} is right</think><answer>{truth}</answer>"
        writer.add(Annotation(row, 1, True, reply, [], row_key(record)))
    writer.close()
    write_sft(tmp_path / "rl.parquet", tmp_path / "j.jsonl", tmp_path / "sft.parquet")
    return tmp_path / "sft.parquet"


@pytest.mark.e2e
def test_cpu_tiny_sft_trains_and_checkpoints(tmp_path, image_root, samples):
    from r1_reward.cpu.tiny_model import build

    model = build(tmp_path / "model")["vl"]
    data = sft_parquet(tmp_path, image_root, samples)
    out = tmp_path / "ckpt"
    command = (
        f"ip link set lo up; exec {sys.executable} -m r1_reward.cpu.sft_cpu +profile=cpu_tiny "
        f"data.train_files={data} model.path={model} trainer.default_local_dir={out} "
        f"hydra.run.dir={tmp_path / 'hydra'}"
    )
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        ["unshare", "-n", "bash", "-c", command], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    losses = [float(value) for value in re.findall(r"train/loss:([-\d.e]+)", done.stdout + done.stderr)]
    assert len(losses) == 3 and all(math.isfinite(loss) for loss in losses)
    assert (out / "global_step_3" / "huggingface" / "model.safetensors").is_file()
