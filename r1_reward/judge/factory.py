"""Builds the consistency judge named by ``r1_reward.judge`` (the backend choice lives here and nowhere else).

Backends: ``rule`` (no model, default), ``endpoint`` (an OpenAI-compatible server the user runs; URL and model from
the config, which the driver completes from env; the key from env), ``pool`` (verl's reward-model worker group
behind ``reward_router_address``), ``random``. ``flip_prob > 0`` wraps any of them in the Table 13 noise wrapper.
"""

import dataclasses

from r1_reward.judge.base import Judge
from r1_reward.judge.chat import ChatJudge
from r1_reward.judge.config import JudgeConfig, endpoint_missing
from r1_reward.judge.noisy import FlipJudge, RandomJudge
from r1_reward.judge.rule import RuleJudge


def pool_config(config: JudgeConfig, router_address: str | None, pool_model: str | None) -> JudgeConfig:
    """The judge config pointed at verl's reward-model pool, reached through its router."""
    model = config.model or pool_model
    if not router_address or not model:
        raise ValueError(
            "r1_reward.judge.backend=pool needs verl to manage the judge model, but verl passed no reward router "
            "address: set reward.reward_model.enable=true, reward.reward_model.model_path and "
            "reward.custom_reward_function.path (see conf/judge/pool.yaml: judge=pool), or use backend=endpoint/rule"
        )
    return dataclasses.replace(config, base_url=f"http://{router_address}/v1", model=model)


def _base_judge(config: JudgeConfig, router_address: str | None, pool_model: str | None) -> Judge:
    if config.backend == "rule":
        return RuleJudge()
    if config.backend == "random":
        return RandomJudge(seed=config.seed)
    if config.backend == "endpoint":
        if not config.base_url or not config.model:
            raise ValueError(endpoint_missing())
        return ChatJudge(config, name="endpoint", api_key=config.api_key())
    return ChatJudge(pool_config(config, router_address, pool_model), name="pool", api_key=config.api_key())


def build_judge(config: JudgeConfig, router_address: str | None = None, pool_model: str | None = None) -> Judge:
    """The judge ``config`` names; the pool backend also needs verl's router address and model."""
    judge = _base_judge(config, router_address, pool_model)
    if config.flip_prob > 0.0:
        return FlipJudge(judge, flip_prob=config.flip_prob, seed=config.seed)
    return judge
