"""Builds the consistency judge named by ``r1_reward.judge`` (the backend choice lives here and nowhere else).

Backends: ``rule`` (no model, default), ``endpoint`` (an OpenAI-compatible server the user runs; URL, model and
key from config or env), ``pool`` (verl's reward-model worker group behind ``reward_router_address``),
``random``. ``flip_prob > 0`` wraps any of them in the Table 13 label-noise wrapper.
"""

import os
from collections.abc import Mapping
from typing import Any

from r1_reward.judge.base import Judge
from r1_reward.judge.chat import ChatJudge, ChatJudgeSettings
from r1_reward.judge.noisy import FlipJudge, RandomJudge
from r1_reward.judge.rule import RuleJudge

BACKENDS = ("rule", "endpoint", "pool", "random")
BASE_URL_ENV = "R1_JUDGE_BASE_URL"
MODEL_ENV = "R1_JUDGE_MODEL"


def endpoint_target(cfg: Mapping[str, Any]) -> tuple[str, str]:
    """(base_url, model) of a user-run server, from config or the R1_JUDGE_* env vars."""
    base_url = cfg.get("base_url") or os.environ.get(BASE_URL_ENV)
    model = cfg.get("model") or os.environ.get(MODEL_ENV)
    if not base_url or not model:
        raise ValueError(
            "r1_reward.judge.backend=endpoint needs the judge server's URL and model: set r1_reward.judge.base_url "
            f"(e.g. http://127.0.0.1:8000/v1) and r1_reward.judge.model, or env {BASE_URL_ENV} / {MODEL_ENV}; "
            "start a server with launch/serve_judge.sh, or use r1_reward.judge.backend=rule"
        )
    return base_url, model


def pool_target(cfg: Mapping[str, Any], router_address: str | None, pool_model: str | None) -> tuple[str, str]:
    """(base_url, model) of verl's reward-model pool, reached through its router."""
    model = cfg.get("model") or pool_model
    if not router_address or not model:
        raise ValueError(
            "r1_reward.judge.backend=pool needs verl to manage the judge model, but verl passed no reward router "
            "address: set reward.reward_model.enable=true, reward.reward_model.model_path and "
            "reward.custom_reward_function.path (see conf/judge/pool.yaml: +judge=pool), or use backend=endpoint/rule"
        )
    return f"http://{router_address}/v1", model


def _chat_settings(cfg: Mapping[str, Any], base_url: str, model: str) -> ChatJudgeSettings:
    return ChatJudgeSettings(
        base_url=base_url,
        model=model,
        api_key=os.environ.get(cfg.get("api_key_env") or "") or None,
        concurrency=int(cfg.get("concurrency", 64)),
        timeout_s=float(cfg.get("timeout_s", 30.0)),
        retries=int(cfg.get("max_retries", 3)),
        backoff_s=float(cfg.get("backoff_s", 0.5)),
        max_reasoning_chars=int(cfg.get("max_reasoning_chars", 4000)),
    )


def _base_judge(cfg: Mapping[str, Any], router_address: str | None, pool_model: str | None) -> Judge:
    backend = cfg.get("backend", "rule")
    if backend == "rule":
        return RuleJudge()
    if backend == "random":
        return RandomJudge(seed=int(cfg.get("seed", 0)))
    if backend == "endpoint":
        return ChatJudge(_chat_settings(cfg, *endpoint_target(cfg)), name="endpoint")
    if backend == "pool":
        return ChatJudge(_chat_settings(cfg, *pool_target(cfg, router_address, pool_model)), name="pool")
    raise ValueError(f"r1_reward.judge.backend={backend!r} is unknown: use one of {BACKENDS}")


def build_judge(cfg: Mapping[str, Any], router_address: str | None = None, pool_model: str | None = None) -> Judge:
    """The judge for ``r1_reward.judge`` (``cfg``); the pool backend also needs verl's router address and model."""
    judge = _base_judge(cfg, router_address, pool_model)
    flip_prob = float(cfg.get("flip_prob", 0.0) or 0.0)
    if flip_prob > 0.0:
        return FlipJudge(judge, flip_prob=flip_prob, seed=int(cfg.get("seed", 0)))
    return judge
