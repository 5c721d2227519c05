"""The README's "Reproduce the paper" sequence, tiny, on CPU: raw preference pairs -> convert -> annotate (a loopback
annotator) -> select -> cold-start SFT -> RL from the SFT checkpoint with the judge in verl's pool -> evaluate the RL
checkpoint. Each stage runs its own command line, as a user types it, and takes the previous one's output by path;
the test checks every hand-off (e2e tier: about 3 minutes on 2 cores).

The rollout and the judge pool run on the transformers server (``rollout.name=hf``), which starts in seconds; the
profile's vLLM engines have their own e2e tests (tests/cpu/test_cpu_vllm_e2e.py, tests/reward/test_reward_e2e_pool.py).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import torch
from safetensors.torch import load_file

from r1_reward.cpu.demo import namespaced
from r1_reward.cpu.tiny_model import build
from r1_reward.data import toy
from r1_reward.testing.loopback_annotator import KEY, LoopbackAnnotator

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
# The annotator gets the first EASY questions right at once, the others at the 2nd attempt (it counts calls per
# question text, so each question is made unique).
PAIRS, EASY = 24, 8


def run(argv: list[str], log: Path, env: dict[str, str], namespace: bool = False) -> str:
    """One stage's command line (in a loopback-only network namespace for the Ray / torch.distributed ones)."""
    if namespace:
        argv = namespaced(argv)
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    log.write_text(done.stdout + done.stderr)
    assert done.returncode == 0, f"{argv[:6]} failed:\n" + "\n".join(log.read_text().splitlines()[-40:])
    return done.stdout


def raw_pairs(folder: Path) -> Path:
    """A user's raw preference file (the pairwise format) with its pictures: the toy task's coloured shapes."""
    (folder / "images").mkdir(parents=True)
    rows = []
    for index, pair in enumerate(toy.generate(PAIRS, seed=3, kinds=("colour",))):
        (folder / "images" / f"{index}.png").write_bytes(pair.image)
        right, wrong = (pair.answer1, pair.answer2) if pair.label == "1" else (pair.answer2, pair.answer1)
        need = 1 if index < EASY else 2
        rows.append({"id": f"p{index}", "question": f"{pair.question} (item {index}) need={need}",
                     "chosen": f"good answer: {right}", "rejected": wrong, "image": f"{index}.png"})  # fmt: skip
    path = folder / "raw.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def weights(folder: Path) -> dict[str, torch.Tensor]:
    tensors: dict[str, torch.Tensor] = {}
    for shard in sorted(folder.glob("*.safetensors")):
        tensors |= {name: tensor.float() for name, tensor in load_file(shard).items()}
    return tensors


def distance(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    shared = sorted(set(a) & set(b))
    assert len(shared) > 10, "the two checkpoints share no parameters"
    return float(torch.sqrt(sum(((a[name] - b[name]) ** 2).sum() for name in shared)))


def test_raw_preferences_to_an_evaluated_rl_checkpoint(tmp_path):
    env = os.environ | {
        "PYTHONPATH": str(REPO),
        "HF_HUB_OFFLINE": "1",
        "OPENAI_API_KEY": KEY,
        "RAY_DEDUP_LOGS": "0",
        "R1_TINY_DIR": str(tmp_path),
    }  # the profile's judge: R1_TINY_DIR/model/vl, the base model
    python = [sys.executable, "-m"]
    base = build(tmp_path / "model")["vl"]
    raw = raw_pairs(tmp_path / "raw")
    data = tmp_path / "data"

    # 1. convert, with the prompt-length report in the policy's tokens.
    out = run([*python, "r1_reward.data", "convert", "--format", "pairwise", "--input", str(raw), "--image-root",
               str(raw.parent / "images"), "--output", str(data / "rl.parquet"), "--processor", str(base), "--quiet"],
              tmp_path / "convert.log", env)  # fmt: skip
    assert f"prompt tokens (all {PAIRS} rows, images included)" in out and pq.read_metadata(data / "rl.parquet")

    # 2. annotate (T = 0, up to 3 attempts) against the loopback annotator; 3. select the hard rows.
    annotator = LoopbackAnnotator().start()
    try:
        run([*python, "r1_reward.data", "annotate", "--input", str(data / "rl.parquet"), "--output",
             str(data / "sft.parquet"), "--base-url", annotator.url, "--model", "fake", "--quiet"],
            tmp_path / "annotate.log", env)  # fmt: skip
    finally:
        annotator.stop()
    assert annotator.bad_requests == [] and sum(annotator.calls.values()) == EASY + 2 * (PAIRS - EASY)
    run([*python, "r1_reward.data", "select", "--input", str(data / "rl.parquet"), "--sft", str(data / "sft.parquet"),
         "--output", str(data / "hard.parquet")], tmp_path / "select.log", env)  # fmt: skip
    hard = pq.read_table(data / "hard.parquet").to_pylist()
    assert pq.read_table(data / "sft.parquet").num_rows == PAIRS  # every row answered right within 3 attempts
    assert len(hard) == PAIRS - EASY and all("need=2" in json.dumps(row["prompt"]) for row in hard)

    # 4. cold-start SFT on annotate's output.
    run([*python, "r1_reward.cpu.sft_cpu", "+profile=cpu_tiny", f"data.train_files={data / 'sft.parquet'}",
         f"model.path={base}", f"trainer.default_local_dir={tmp_path / 'sft'}", "trainer.total_training_steps=3",
         f"hydra.run.dir={tmp_path / 'sft_run'}"], tmp_path / "sft.log", env, namespace=True)  # fmt: skip
    sft = tmp_path / "sft" / "global_step_3" / "huggingface"

    # 5. RL from the SFT checkpoint on the hard rows, consistency judge in verl's reward-model pool: 2 steps of 8.
    rl_run = tmp_path / "rl"
    run([*python, "r1_reward.main_ppo", "+experiment=stable_reinforce", "+profile=cpu_tiny", "judge=pool",
         f"actor_rollout_ref.model.path={sft}", f"data.train_files={data / 'hard.parquet'}",
         f"data.val_files={data / 'hard.parquet'}", "trainer.total_training_steps=2",
         "actor_rollout_ref.rollout.name=hf", "reward.reward_model.rollout.name=hf", f"hydra.run.dir={rl_run}"],
        tmp_path / "rl.log", env, namespace=True)  # fmt: skip
    steps = [json.loads(line) for line in (rl_run / "metrics.jsonl").read_text().splitlines()]
    assert [step["step"] for step in steps] == [1, 2]
    assert all(step["data"]["reward/judge_calls"] >= 0 for step in steps)
    exported = rl_run / "checkpoints" / "global_step_2" / "actor" / "huggingface"
    # The actor loaded the SFT checkpoint, not the base model it was cut from: the RL export is the SFT weights
    # (2 small steps later), far from the base's.
    moved_by_sft, rl_from_sft = distance(weights(sft), weights(base)), distance(weights(exported), weights(sft))
    print(f"\n[pipeline] |sft - base| = {moved_by_sft:.4f}, |rl - sft| = {rl_from_sft:.4f}")
    assert moved_by_sft > 0.1 and rl_from_sft < 0.1 * moved_by_sft

    # 6. evaluate the RL run's checkpoint as saved (the folder: its latest step's HF export), both answer orders.
    test_file = toy.write(tmp_path / "bench", n_train=2, n_test=4, seed=5, kinds=("colour",))["test"]
    result = tmp_path / "eval" / "rl.json"
    run([*python, "r1_reward.evaluate", "run", "--benchmark", "toy", "--data", str(test_file), "--judge",
         "transformers", "--model", str(rl_run / "checkpoints"), "--order", "both", "--max-new-tokens", "16",
         "--out", str(result)], tmp_path / "evaluate.log", env)  # fmt: skip
    header = json.loads(result.with_suffix(".predictions.jsonl").read_text().splitlines()[0])["header"]
    assert header["model"] == str(exported)  # the evaluator read the RL checkpoint
    assert json.loads(result.read_text())["n_presentations"] == 8
