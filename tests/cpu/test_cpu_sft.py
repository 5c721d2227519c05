"""The SFT stage: the paper's config composes on verl's SFT trainer config, and the CPU tiny profile really trains."""

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hydra_compose import CONF, compose_config

from r1_reward.data.journal import Annotation, JournalWriter, row_key
from r1_reward.data.sft import write_sft


def compose_sft(overrides: list[str]):
    return compose_config(*overrides, config_name="r1_reward_sft", config_dir=CONF / "sft")


def test_paper_settings_on_verl_sft_config():
    config = compose_sft([])
    assert (config.optim.lr, config.data.train_batch_size, config.trainer.total_epochs) == (1e-5, 256, 1)
    assert config.data.messages_key == "messages" and config.data.image_key == "images"
    assert "hf_model" in config.checkpoint.save_contents
    assert config.engine.strategy == "fsdp"  # verl's defaults underneath are kept


def test_cpu_profile_reads_the_folder_the_readme_builds(monkeypatch):
    # README: tiny_model --out outputs/cpu_tiny/model, data.toy --out outputs/cpu_tiny/data (writes sft_train.parquet).
    monkeypatch.delenv("R1_TINY_DIR", raising=False)
    config = compose_sft(["+profile=cpu_tiny"])
    assert config.model.path == "outputs/cpu_tiny/model/vl"
    assert config.data.train_files == "outputs/cpu_tiny/data/sft_train.parquet"
    assert config.model.path == compose_config("+profile=cpu_tiny").actor_rollout_ref.model.path
    readme = (CONF.parent / "README.md").read_text()
    assert "--out outputs/cpu_tiny/model" in readme and "--out outputs/cpu_tiny/data" in readme
    monkeypatch.setenv("R1_TINY_DIR", "/elsewhere")
    assert compose_sft(["+profile=cpu_tiny"]).data.train_files == "/elsewhere/data/sft_train.parquet"


def test_cpu_profile_overrides():
    config = compose_sft(["+profile=cpu_tiny"])
    assert (config.trainer.device, config.engine.strategy, config.model.use_remove_padding) == ("cpu", "fsdp2", False)
    assert config.model.override_config.attn_implementation == "sdpa"
    assert config.trainer.total_training_steps == 3


def sft_parquet(tmp_path: Path, image_root: Path, samples) -> Path:
    rows = [
        samples.pairwise(id=f"p{i}", chosen=f"good answer {i}", image=("red.png", "blue.png")[i % 2]) for i in range(12)
    ]
    writer = JournalWriter(tmp_path / "j.jsonl")
    for row, record in enumerate(samples.converted(tmp_path, image_root, rows)):
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
