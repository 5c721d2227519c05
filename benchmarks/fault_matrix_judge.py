"""The judge fault table: the reward path against a loopback judge server that misbehaves in every way issue #13 lists.

For each fault, 12 samples are scored with ``on_judge_failure=zero`` (7 of them need the judge) and the row says:
how many samples were scored, how many verdicts arrived, the largest excess reward over what a correct judge gives
(must be <= 0: a judge fault never raises a reward), and the wall time against its bound (attempts x timeout +
backoff + Retry-After, or the per-step budget, plus 1 s of slack for a loaded machine). A row holds when every
sample is scored, no reward exceeds the correct one, verdicts arrive exactly when the fault lets them, and the
wall time is within the bound. ``judge_fault_rows()`` returns the rows (``benchmarks/fault_matrix.py`` combines
them with the data table); ``main()`` prints them.

    PYTHONPATH=$PWD python benchmarks/fault_matrix_judge.py
"""

import asyncio
import time
from dataclasses import dataclass, field

from r1_reward.judge.chat import ChatJudge
from r1_reward.judge.config import JudgeConfig
from r1_reward.reward.formula import RewardWeights
from r1_reward.reward.scoring import score_outputs
from r1_reward.testing.loopback_judge import Behaviour, LoopbackJudgeServer

SLACK_S = 1.0


def _sample(i: int, conclusion: str, answer: str) -> str:
    return f"<think>Case {i}: Response {conclusion} is better.</think><answer>{answer}</answer>"


# (output, ground truth, reward a correct judge gives), by hand (λ = μ = 0.5, gated): right + consistent
# 1 * (1 + .5) + .5 = 2.0; right + inconsistent 1.5; wrong .5; right without reasoning 1.0; malformed 0.
SAMPLES = (
    [(_sample(i, "1", "1"), "1", 2.0) for i in range(4)]
    + [(_sample(i, "2", "1"), "1", 1.5) for i in range(4, 7)]
    + [(_sample(i, "1", "2"), "1", 0.5) for i in range(7, 10)]
    + [("<answer>1</answer>", "1", 1.0), ("I think 1", "1", 0.0)]
)
JUDGED = 7  # right answers with a reasoning: the only ones the gated reward asks the judge about


@dataclass(frozen=True)
class Case:
    """One fault: the server's behaviour, the judge's settings, and whether correct verdicts still get through."""

    name: str
    behaviour: Behaviour
    verdicts_arrive: bool
    settings: dict = field(default_factory=dict)


BASE = {"concurrency": 8, "timeout_s": 0.3, "retries": 1, "backoff_s": 0.02, "step_budget_s": None}
CASES = [
    Case("slow (under timeout)", Behaviour("ok", latency_s=0.1), True),
    Case("timeout", Behaviour("ok", latency_s=2.0), False),
    Case("HTTP 500", Behaviour("http500"), False),
    Case("HTTP 500, then OK", Behaviour("flaky"), True),
    Case("garbage body", Behaviour("garbage"), False),
    Case("reply not yes/no", Behaviour("not_a_verdict"), False),
    Case("connection dropped", Behaviour("drop"), False),
    Case("HTTP 401 (no retry)", Behaviour("http401"), False),
    Case("HTTP 429, Retry-After 1 s", Behaviour("rate_limited", retry_after_s=1.0), True, {"timeout_s": 2.0}),
    Case("nested JSON (100k deep)", Behaviour("nested"), False),
    Case("huge reply (32 MB)", Behaviour("huge"), False, {"max_reply_bytes": 65536}),
    Case(
        "hanging checks vs step budget 1 s",
        Behaviour("ok", latency_s=60.0),
        False,
        {"timeout_s": 20.0, "retries": 3, "step_budget_s": 1.0},
    ),
]


def bound_s(config: JudgeConfig, behaviour: Behaviour) -> float:
    """The longest the batch may take: the step budget if set, else every attempt timing out plus the waits."""
    if config.step_budget_s is not None:
        return config.step_budget_s + SLACK_S
    waits = sum(config.backoff_s * 2**n for n in range(config.retries))
    retry_after = behaviour.retry_after_s if behaviour.fault == "rate_limited" else 0.0
    return (config.retries + 1) * config.timeout_s + waits + retry_after + SLACK_S


async def _run(case: Case) -> dict:
    server = LoopbackJudgeServer(case.behaviour)
    config = JudgeConfig(backend="endpoint", model="judge", base_url=await server.start(), **(BASE | case.settings))
    judge = ChatJudge(config, name="endpoint")
    texts, truths, correct = zip(*SAMPLES)
    started = time.perf_counter()
    try:
        scores = await score_outputs(texts, truths, judge, RewardWeights(), "zero")
    finally:
        wall = time.perf_counter() - started
        await judge.close()
        await server.stop()
    failed = int(sum(s["judge_failed"] for s in scores))
    excess = max(s["score"] - c for s, c in zip(scores, correct))
    bound = bound_s(config, case.behaviour)
    verdicts_ok = failed == (0 if case.verdicts_arrive else JUDGED)
    if case.verdicts_arrive:
        verdicts_ok = verdicts_ok and [s["score"] for s in scores] == list(correct)
    holds = len(scores) == len(SAMPLES) and excess <= 0.0 and verdicts_ok and wall <= bound
    return {
        "case": case.name, "scored": f"{len(scores)}/{len(SAMPLES)}", "verdicts": f"{JUDGED - failed}/{JUDGED}",
        "requests": server.requests, "excess_reward": excess, "wall_s": round(wall, 2), "bound_s": round(bound, 2),
        "holds": holds,
    }  # fmt: skip


def judge_fault_rows() -> list[dict]:
    """One row per judge fault (see the module docstring for the columns and what "holds" means)."""
    return [asyncio.run(_run(case)) for case in CASES]


def main() -> None:
    rows = judge_fault_rows()
    print(
        f"{'case':36s} {'scored':>7s} {'verdicts':>8s} {'requests':>8s} {'excess':>7s} {'wall s':>7s} "
        f"{'bound s':>7s}  holds"
    )
    for row in rows:
        print(
            f"{row['case']:36s} {row['scored']:>7s} {row['verdicts']:>8s} {row['requests']:>8d} "
            f"{row['excess_reward']:>+7.2f} {row['wall_s']:>7.2f} {row['bound_s']:>7.2f}  "
            f"{'yes' if row['holds'] else 'NO'}"
        )
    held = sum(row["holds"] for row in rows)
    print(
        f"{held}/{len(rows)} rows hold; max excess reward over a correct judge "
        f"{max(row['excess_reward'] for row in rows):+.3f}"
    )
    if held != len(rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
