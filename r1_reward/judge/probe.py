"""One probe check of a configured ``endpoint`` judge before Ray starts, so a wrong URL, model or key shows in
seconds with the setting to change, not after Ray's start-up inside a reward worker mid-step."""

import asyncio
import dataclasses
from collections.abc import Mapping
from typing import Any

from r1_reward.judge.base import JudgeError, JudgeRequest
from r1_reward.judge.chat import ChatJudge
from r1_reward.judge.config import JudgeConfig

PROBE = JudgeRequest("Response 1 is better.", "1")


def probe_judge(config: Mapping[str, Any]) -> None:
    """Ask an ``endpoint`` judge one check (one attempt, any yes/no passes); ValueError naming the fix if it
    fails. Other backends are left alone (``pool`` is started by verl later). Call after validate_reward_config."""
    judge_config = JudgeConfig.from_config(config["r1_reward"]["judge"])
    if judge_config.backend != "endpoint":
        return
    once = dataclasses.replace(judge_config, retries=0, step_budget_s=None)
    judge = ChatJudge(once, name="endpoint", api_key=judge_config.api_key())

    async def ask() -> None:
        try:
            await judge.judge(PROBE)
        finally:
            await judge.close()

    try:
        asyncio.run(ask())
    except JudgeError as error:
        raise ValueError(
            f"r1_reward.judge.base_url={judge_config.base_url!r} (r1_reward.judge.model={judge_config.model!r}) did "
            f"not answer a probe check before training: {error.__cause__ or error}. Fix: start the judge "
            "(launch/serve_judge.sh), correct base_url / model / the key in env r1_reward.judge.api_key_env, "
            "or use r1_reward.judge.backend=rule"
        ) from None
