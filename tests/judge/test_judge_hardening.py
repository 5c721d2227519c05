"""Issue #13 "Judge and reward": rate limits honoured, malformed or huge replies are judge failures, a per-step
budget bounds hanging checks, and a failing judge under on_judge_failure=zero says why (once, never the key).

Each test runs the real client against the loopback judge server on 127.0.0.1 with small timeouts.
"""

import asyncio
import logging
import time

import pytest

from r1_reward.judge.base import JudgeError
from r1_reward.judge.chat import ChatJudge
from r1_reward.judge.config import JudgeConfig
from r1_reward.reward import scoring
from r1_reward.reward.formula import RewardWeights
from r1_reward.reward.scoring import score_outputs
from r1_reward.testing.loopback_judge import Behaviour, LoopbackJudgeServer

SECRET = "sk-test-never-print-me"

# Right answers with a consistent reasoning: a correct judge gives each 1 * (1 + 0.5) + 0.5 = 2.0; a failed check
# scores consistency 0: 1 * (1 + 0) + 0.5 = 1.5.
TEXTS = [f"<think>Case {i}: Response 1 is better.</think><answer>1</answer>" for i in range(6)]


def endpoint_judge(base_url: str, **settings) -> ChatJudge:
    """A chat judge with test-sized settings (``settings`` override them)."""
    defaults = {"concurrency": 8, "timeout_s": 0.5, "retries": 1, "backoff_s": 0.01}
    config = JudgeConfig(backend="endpoint", base_url=base_url, model="judge", **(defaults | settings))
    return ChatJudge(config, name="endpoint", api_key=SECRET)


async def score(behaviour: Behaviour, on_failure: str = "zero", **judge_settings):
    server = LoopbackJudgeServer(behaviour)
    judge = endpoint_judge(await server.start(), **judge_settings)
    started = time.perf_counter()
    try:
        scores = await score_outputs(TEXTS, ["1"] * len(TEXTS), judge, RewardWeights(), on_failure)
        return scores, server, time.perf_counter() - started
    finally:
        await judge.close()
        await server.stop()


def test_429_retry_after_is_honoured() -> None:
    # The server refuses everything for 0.6 s; our own backoff (0.01 s, 0.02 s, 0.04 s) would give up after 0.07 s.
    behaviour = Behaviour("rate_limited", retry_after_s=0.6)
    scores, server, elapsed = asyncio.run(score(behaviour, "fail", retries=3, backoff_s=0.01, timeout_s=2.0))
    assert [s["score"] for s in scores] == [2.0] * len(TEXTS)
    assert 0.6 <= elapsed < 3.0
    assert server.requests == 2 * len(TEXTS)  # one refused request per check, then one answered after the wait


def test_429_retry_after_beyond_the_request_budget_fails_at_once() -> None:
    # Budget (retries + 1) x timeout_s = 2 x 0.5 s = 1 s < Retry-After 30 s: give up now, do not sleep 30 s.
    behaviour = Behaviour("rate_limited", retry_after_s=30.0)
    with pytest.raises(JudgeError, match="Retry-After"):
        asyncio.run(score(behaviour, "fail", retries=1, backoff_s=0.01, timeout_s=0.5))


def test_deeply_nested_json_is_a_judge_failure() -> None:
    scores, _, _ = asyncio.run(score(Behaviour("nested"), "zero", retries=1, backoff_s=0.01))
    assert len(scores) == len(TEXTS) and all(s["judge_failed"] == 1.0 and s["score"] == 1.5 for s in scores)


def test_reply_larger_than_the_cap_is_a_judge_failure() -> None:
    # A correct verdict padded to 2 MiB: the cap (64 KiB) stops the read, so the check fails instead.
    behaviour = Behaviour("huge", huge_bytes=2 << 20)
    scores, _, _ = asyncio.run(score(behaviour, "zero", retries=0, max_reply_bytes=64 << 10))
    assert all(s["judge_failed"] == 1.0 and s["score"] == 1.5 for s in scores)
    small, _, _ = asyncio.run(score(Behaviour("huge", huge_bytes=1000), "zero", retries=0, max_reply_bytes=64 << 10))
    assert [s["score"] for s in small] == [2.0] * len(TEXTS)


def test_step_budget_fails_the_remaining_checks_in_time() -> None:
    # Without a budget: 2 attempts x 2 s timeout = 4 s. With step_budget_s=0.5 every check fails after ~0.5 s.
    behaviour = Behaviour("ok", latency_s=30.0)
    scores, _, elapsed = asyncio.run(score(behaviour, "zero", retries=1, timeout_s=2.0, step_budget_s=0.5))
    assert all(s["judge_failed"] == 1.0 for s in scores)
    assert elapsed < 1.5


def test_step_budget_restarts_with_the_next_step() -> None:
    async def two_steps() -> list[list[dict]]:
        server = LoopbackJudgeServer(Behaviour("ok", latency_s=3.0))
        judge = endpoint_judge(await server.start(), step_budget_s=5.5, timeout_s=10.0)
        try:
            steps = []
            # each step alone fits its 5.5 s budget (2.5 s of slack on a loaded machine); together they would not
            for step in range(2):
                texts = [t.replace("Case", f"Step {step} case") for t in TEXTS]
                steps.append(await score_outputs(texts, ["1"] * len(texts), judge, RewardWeights(), "zero"))
            return steps
        finally:
            await judge.close()
            await server.stop()

    for scores in asyncio.run(two_steps()):
        assert [s["score"] for s in scores] == [2.0] * len(TEXTS)


def test_zero_policy_logs_one_warning_with_the_cause_and_never_the_key(caplog, monkeypatch) -> None:
    monkeypatch.setattr(scoring, "_warn_judge_failure", scoring._RateLimitedWarning())  # no earlier test's warning
    with caplog.at_level(logging.WARNING, logger="r1_reward"):
        scores, _, _ = asyncio.run(score(Behaviour("http500"), "zero", retries=0))
        asyncio.run(score(Behaviour("http500"), "zero", retries=0))  # a second batch within the rate limit
    assert all(s["judge_failed"] == 1.0 for s in scores)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "HTTP 500" in warnings[0] and "on_judge_failure=zero" in warnings[0]
    assert SECRET not in caplog.text
