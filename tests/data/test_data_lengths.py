"""convert's prompt-length report counts tokens as verl's over-long filter does (r1_reward/data/lengths.py)."""

import subprocess
import sys

import pandas as pd
import pytest
from omegaconf import OmegaConf

from r1_reward.data import toy
from r1_reward.data.lengths import chat, load_processor, prompt_lengths


@pytest.fixture(scope="module")
def processor(tmp_path_factory):
    from r1_reward.cpu.tiny_model import build

    return load_processor(build(tmp_path_factory.mktemp("tiny"))["vl"])


@pytest.fixture
def rl_parquet(tmp_path):
    """Four toy rows, one of them with a question 20 phrases longer."""
    frame = pd.read_parquet(toy.write(tmp_path / "toy", n_train=4, n_test=2)["train"])
    turn = dict(frame.at[1, "prompt"][0])
    turn["content"] += " extra words" * 20
    frame.at[1, "prompt"] = [turn]
    frame.to_parquet(tmp_path / "rl.parquet")
    return tmp_path / "rl.parquet"


def test_placeholders_become_image_parts():
    messages, images = chat([{"role": "user", "content": "<image>What is it?<image>"}])
    assert images == 2
    assert messages == [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is it?"},
                                                     {"type": "image"}]}]  # fmt: skip


def test_lengths_match_what_verls_filter_keeps(processor, rl_parquet):
    from verl.utils.dataset.rl_dataset import RLHFDataset

    report = prompt_lengths(rl_parquet, processor, sample=0, progress=False)
    assert report.rows == 4 and max(report.lengths) - min(report.lengths) > 100  # the long row
    for limit in (min(report.lengths) - 1, min(report.lengths), max(report.lengths)):
        config = OmegaConf.create({"max_prompt_length": limit, "filter_overlong_prompts": True, "image_key": "images",
                                   "filter_overlong_prompts_workers": 1, "prompt_key": "prompt"})  # fmt: skip
        kept = len(RLHFDataset([str(rl_parquet)], processor.tokenizer, config, processor))
        assert kept == sum(length <= limit for length in report.lengths)


def test_report_names_the_spread_and_the_rows_training_drops(processor, rl_parquet):
    short = min(prompt_lengths(rl_parquet, processor, sample=0, progress=False).lengths)
    text = prompt_lengths(rl_parquet, processor, sample=3, seed=1, limit=short, progress=False).text()
    assert text.startswith("prompt tokens (3 sampled rows of 4, images included): min ")
    assert "over data.max_prompt_length=" in text and "which training drops" in text


def test_convert_prints_the_report_with_processor_and_says_how_without(tmp_path, image_root, samples, processor):
    rows = [samples.pairwise(id=f"p{i}", image="red.png") for i in range(4)]
    source = samples.write_jsonl(tmp_path / "p.jsonl", rows)
    model = processor.tokenizer.name_or_path
    base = [sys.executable, "-m", "r1_reward.data", "convert", "--format", "pairwise", "--input", str(source),
            "--image-root", str(image_root), "--quiet"]  # fmt: skip
    plain = subprocess.run([*base, "--output", str(tmp_path / "a.parquet")], capture_output=True, text=True, check=True)
    assert "pass --processor <policy model folder>" in plain.stdout
    measured = subprocess.run([*base, "--output", str(tmp_path / "b.parquet"), "--processor", model],
                              capture_output=True, text=True, check=True)  # fmt: skip
    assert "prompt tokens (all 4 rows, images included): min " in measured.stdout
