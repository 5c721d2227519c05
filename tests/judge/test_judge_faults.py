"""The HTTP judge against a real server on 127.0.0.1 that is slow, times out, fails, talks garbage or hangs up.

For every fault: how many samples were scored, how many by the judge and how many with consistency 0, and that no
sample got more than a correct judge would give it. Latencies are tiny so the whole file runs in a few seconds.
"""

import asyncio
import time

import pytest

from r1_reward.judge.base import JudgeError, JudgeRequest
from r1_reward.judge.chat import ChatJudge
from r1_reward.judge.config import JudgeConfig
from r1_reward.reward.formula import RewardWeights
from r1_reward.reward.scoring import score_outputs
from r1_reward.testing.loopback_judge import Behaviour, LoopbackJudgeServer

TIMEOUT_S, RETRIES, BACKOFF_S = 0.2, 1, 0.01
SECRET = "sk-test-never-print-me"


def sample(i: int, conclusion: str, answer: str) -> str:
    return f"<think>Case {i}: Response {conclusion} is better.</think><answer>{answer}</answer>"


# (output, ground truth, reward a correct judge gives), by hand: right+consistent 1*(1+.5)+.5 = 2.0;
# right+inconsistent 1+.5 = 1.5; wrong .5; right without reasoning 1.0; malformed 0.
SAMPLES = (
    [(sample(i, "1", "1"), "1", 2.0) for i in range(4)]
    + [(sample(i, "2", "1"), "1", 1.5) for i in range(4, 7)]
    + [(sample(i, "1", "2"), "1", 0.5) for i in range(7, 10)]
    + [("<answer>1</answer>", "1", 1.0), ("I think 1", "1", 0.0)]
)
JUDGED = 7  # the right answers with a reasoning

# (fault name, server behaviour, does a correct verdict get through?)
FAULTS = [
    ("none", Behaviour("ok"), True),
    ("slow (under timeout)", Behaviour("ok", latency_s=0.05), True),
    ("timeout", Behaviour("ok", latency_s=1.0), False),
    ("HTTP 500", Behaviour("http500"), False),
    ("HTTP 500 once, then ok", Behaviour("flaky"), True),
    ("garbage body", Behaviour("garbage"), False),
    ("reply not yes/no", Behaviour("not_a_verdict"), False),
    ("connection dropped", Behaviour("drop"), False),
    ("HTTP 401 (no retry)", Behaviour("http401"), False),
]


def settings(base_url: str, concurrency: int = 8) -> JudgeConfig:
    return JudgeConfig(
        backend="endpoint",
        base_url=base_url,
        model="judge",
        concurrency=concurrency,
        timeout_s=TIMEOUT_S,
        retries=RETRIES,
        backoff_s=BACKOFF_S,
    )


async def run_batch(behaviour: Behaviour, on_failure: str):
    server = LoopbackJudgeServer(behaviour)
    judge = ChatJudge(settings(await server.start()), name="endpoint", api_key=SECRET)
    started = time.perf_counter()
    try:
        texts, truths, _ = zip(*SAMPLES)
        scores = await score_outputs(texts, truths, judge, RewardWeights(), on_failure)
        return scores, server, time.perf_counter() - started
    finally:
        await judge.close()
        await server.stop()


@pytest.mark.parametrize(("name", "behaviour", "verdicts_arrive"), FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_policy_zero_never_exceeds_correct_judge(name: str, behaviour: Behaviour, verdicts_arrive: bool) -> None:
    scores, server, elapsed = asyncio.run(run_batch(behaviour, "zero"))
    correct = [reward for _, _, reward in SAMPLES]
    failed = int(sum(s["judge_failed"] for s in scores))
    print(
        f"\n[fault] {name:24s} scored {len(scores)}/{len(SAMPLES)} | judge verdicts {JUDGED - failed}/{JUDGED} | "
        f"consistency 0 after failure {failed} | HTTP requests {server.requests:2d} | "
        f"max(score - correct) {max(s['score'] - c for s, c in zip(scores, correct)):+.2f} | "
        f"total {sum(s['score'] for s in scores):.1f} vs correct {sum(correct):.1f} | {elapsed:.2f} s"
    )
    assert len(scores) == len(SAMPLES)
    assert all(s["score"] <= c for s, c in zip(scores, correct))
    assert failed == (0 if verdicts_arrive else JUDGED)
    if verdicts_arrive:
        assert [s["score"] for s in scores] == correct
    # bounded time: attempts × timeout + backoff, with slack for a busy machine; never a hang
    assert elapsed < (RETRIES + 1) * (TIMEOUT_S + behaviour.latency_s) + 3.0


@pytest.mark.parametrize(
    "behaviour",
    [Behaviour("http500"), Behaviour("drop"), Behaviour("ok", latency_s=1.0)],
    ids=["HTTP 500", "dropped", "timeout"],
)
def test_fault_policy_fail_says_what_broke_and_how_to_fix(behaviour: Behaviour) -> None:
    with pytest.raises(JudgeError) as raised:
        asyncio.run(run_batch(behaviour, "fail"))
    message = str(raised.value)
    assert "127.0.0.1" in message and "Fix:" in message and "on_judge_failure=zero" in message
    assert SECRET not in message


def test_client_errors_are_not_retried() -> None:
    _, server, _ = asyncio.run(run_batch(Behaviour("http401"), "zero"))
    assert server.requests == JUDGED


def test_retries_with_backoff_then_gives_up() -> None:
    _, server, _ = asyncio.run(run_batch(Behaviour("http500"), "zero"))
    assert server.requests == JUDGED * (RETRIES + 1)


async def many_checks(requests: list[JudgeRequest], latency_s: float, concurrency: int):
    server = LoopbackJudgeServer(Behaviour("ok", latency_s=latency_s))
    judge = ChatJudge(settings(await server.start(), concurrency=concurrency), name="endpoint", api_key=SECRET)
    try:
        verdicts = await asyncio.gather(*(judge.judge(r) for r in requests))
        return verdicts, server
    finally:
        await judge.close()
        await server.stop()


def test_identical_checks_share_one_request() -> None:
    same = [JudgeRequest("Response 2 is better.", "2")] * 20
    verdicts, server = asyncio.run(many_checks(same, latency_s=0.05, concurrency=8))
    assert verdicts == [True] * 20 and server.requests == 1


def test_concurrency_is_bounded_and_used() -> None:
    distinct = [JudgeRequest(f"{i}: Response 1 is better.", "1") for i in range(24)]
    verdicts, server = asyncio.run(many_checks(distinct, latency_s=0.05, concurrency=4))
    assert all(verdicts) and server.requests == 24
    assert server.max_inflight == 4


def test_api_key_sent_as_bearer() -> None:
    # (the key never enters JudgeConfig; tests/test_openai_chat.py checks it stays out of the transport's repr)
    _, server = asyncio.run(many_checks([JudgeRequest("Response 1 is better.", "1")], 0.0, 1))
    assert server.authorizations == {f"Bearer {SECRET}"}
