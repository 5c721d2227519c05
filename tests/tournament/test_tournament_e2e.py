"""End to end on CPU: a tiny policy trains 2 GRPO steps with the tournament reward, the judge a scripted tiny
Qwen2.5-VL in verl's reward-model pool (its own resource pool, served by the ``hf`` rollout), images included.

The judge is re-wired (as in tests/reward/test_reward_e2e_pool.py) to always write
``<think></think><answer>k</answer>`` where k is "1" or "2" with equal logits: at temperature 1 every verdict is a
fair coin, so the rewards vary from call to call and can only match if the logged verdicts are the ones behind them.
The test recomputes Eq. 3 from the verdict log by hand (s_ij = ½(v_ij + 1 − v_ji)) and compares it with the scores
verl itself dumped for every rollout (``trainer.rollout_data_dir``) and with its logged ``critic/score/mean``.
Runs verl and Ray inside a loopback-only network namespace (``unshare -n``).
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
N_ROLLOUTS, PROMPTS, STEPS = 4, 2, 2


def token_id(tokenizer, text: str) -> int:
    return (
        tokenizer.convert_tokens_to_ids(text)
        if text.startswith("<")
        else tokenizer.convert_tokens_to_ids(tokenizer.tokenize(text))[0]
    )


def coin_judge(src: Path, dst: Path) -> None:
    """A copy of the tiny VL model that writes <think></think><answer>1|2</answer>, "1" and "2" equally likely."""
    from transformers import AutoModelForImageTextToText, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(src)
    chain = [["\n"], ["<think>"], ["</think>"], ["<answer>"], ["1", "2"], ["</answer>"], ["<|im_end|>"]]
    steps = [[token_id(tokenizer, t) for t in step] for step in chain]
    model = AutoModelForImageTextToText.from_pretrained(src)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(("self_attn.o_proj.weight", "mlp.down_proj.weight")):
                param.zero_()  # the last hidden state is then the last token's embedding
        embed = model.get_input_embeddings().weight
        head = torch.nn.Parameter(torch.zeros_like(embed))
        for k, tokens in enumerate(steps[:-1]):
            for token in tokens:
                embed[token] = 0.0
                embed[token, k] = 1.0
            for following in steps[k + 1]:
                head[following, k] = 30.0
    model.config.tie_word_embeddings = False
    model.config.text_config.tie_word_embeddings = False
    model.get_output_embeddings().weight = head
    shutil.copytree(src, dst)
    model.save_pretrained(dst)


def eq3_by_hand(n: int, verdicts: list) -> list[float]:
    """Score(r_i) = Σ_j ½(v_ij + 1 − v_ji); v = 1 if slot 1 won; a failed call gives neither side anything."""
    slot1 = {(a, b): p for a, b, p, _ in verdicts}
    scores = []
    for i in range(n):
        total = 0.0
        for j in range(n):
            if j != i:
                won_first = slot1[(i, j)] if slot1[(i, j)] is not None else 0.0
                won_second = 1.0 - slot1[(j, i)] if slot1[(j, i)] is not None else 0.0
                total += 0.5 * (won_first + won_second)
        scores.append(total)
    return scores


def jsonl(folder: Path, pattern: str) -> list[dict]:
    return [json.loads(line) for path in sorted(folder.glob(pattern)) for line in path.open()]


@pytest.mark.e2e
def test_grpo_with_tournament_reward_from_the_pool_judge(tmp_path: Path) -> None:
    from r1_reward.cpu.tiny_model import build
    from r1_reward.data.toy import write

    paths = build(tmp_path / "raw")
    shutil.copytree(paths["vl"], tmp_path / "model" / "vl")
    coin_judge(paths["vl"], tmp_path / "judge")
    write(tmp_path / "data", n_train=PROMPTS * STEPS, n_test=2)
    overrides = [
        "+experiment=downstream_grpo",
        "+profile=cpu_tiny",
        "judge=pool",  # the tiny profile's rule judge cannot judge pairs (main_ppo says so)
        "trainer.total_training_steps=2",
        f"reward.reward_model.model_path={tmp_path / 'judge'}",
        # Both roles on the transformers server: this test is about the tournament; vLLM has its own e2e tests.
        "actor_rollout_ref.rollout.name=hf",
        "reward.reward_model.rollout.name=hf",
        "reward.reward_model.rollout.prompt_length=3072",
        "reward.num_workers=2",
        "ray_kwargs.ray_init.num_gpus=2",
        f"data.train_batch_size={PROMPTS}",
        f"actor_rollout_ref.rollout.n={N_ROLLOUTS}",
        f"actor_rollout_ref.actor.ppo_mini_batch_size={PROMPTS}",
        "actor_rollout_ref.actor.use_kl_loss=false",
        "data.max_prompt_length=256",
        "data.max_response_length=16",
        "r1_reward.tournament.temperature=1.0",
        "r1_reward.tournament.max_tokens=16",
        f"r1_reward.tournament.verdict_log_dir={tmp_path / 'verdicts'}",
        f"trainer.rollout_data_dir={tmp_path / 'rollouts'}",
        f"hydra.run.dir={tmp_path / 'hydra'}",
        f"actor_rollout_ref.model.path={tmp_path / 'model' / 'vl'}",
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
    started = time.monotonic()
    run = subprocess.run(
        ["unshare", "-n", "bash", "-c", f"ip link set lo up; {command}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(f"tournament e2e: main_ppo wall time {time.monotonic() - started:.1f} s")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]

    dumped = {row["uid"]: row for row in jsonl(tmp_path / "rollouts", "*.jsonl")}  # uid = verl's sample key
    groups = jsonl(tmp_path / "verdicts", "train_*.jsonl")
    assert len(groups) == PROMPTS * STEPS and len(dumped) == PROMPTS * STEPS * N_ROLLOUTS
    slots = set()
    for group in groups:
        assert len(group["keys"]) == N_ROLLOUTS and len({key.rsplit("_", 2)[0] for key in group["keys"]}) == 1
        assert len(group["verdicts"]) == N_ROLLOUTS * (N_ROLLOUTS - 1) and group["images"] == 1
        expected = eq3_by_hand(N_ROLLOUTS, group["verdicts"])
        assert [dumped[key]["score"] for key in group["keys"]] == pytest.approx(expected)
        slots |= {p for _, _, p, _ in group["verdicts"]}
    assert slots == {0.0, 1.0}, "the coin judge should have picked both slots"
    logged = [json.loads(line)["data"] for line in next((tmp_path / "metrics").rglob("*.jsonl")).open()]
    assert len(logged) == STEPS
    for step in logged:
        assert step["tournament/judge_calls"] == PROMPTS * N_ROLLOUTS * (N_ROLLOUTS - 1)
        assert step["tournament/judge_failures"] == 0
        # Eq. 3 in round robin shares out one point per pair: the group mean is (N - 1) / 2 whatever the verdicts.
        assert step["critic/score/mean"] == pytest.approx((N_ROLLOUTS - 1) / 2)
