"""``r1_reward.judge`` as one typed config, checked once: every default lives here (conf/r1_reward.yaml repeats
them with a comment each; tests/judge/test_judge_config.py keeps the two equal).

The driver reads the judge's environment variables once (:func:`resolve_env`: ``R1_JUDGE_BASE_URL``,
``R1_JUDGE_MODEL``) and writes the result into the config that the reward workers receive; the workers read only
the API key, from the variable ``api_key_env`` names, so the key never enters the config or a log.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

BACKENDS = ("rule", "endpoint", "pool", "random")
BASE_URL_ENV = "R1_JUDGE_BASE_URL"
MODEL_ENV = "R1_JUDGE_MODEL"
RENAMED = {"max_retries": "retries"}


@dataclass(frozen=True)
class JudgeConfig:
    """Which consistency judge, where it is and how hard to try (each key is documented in conf/r1_reward.yaml)."""

    backend: str = "rule"
    flip_prob: float = 0.0
    seed: int = 0
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = "R1_JUDGE_API_KEY"
    concurrency: int = 64
    timeout_s: float = 30.0
    retries: int = 3
    backoff_s: float = 0.5
    max_reasoning_chars: int = 4000
    step_budget_s: float | None = 120.0
    max_reply_bytes: int = 1 << 16

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"r1_reward.judge.backend={self.backend!r} is unknown: use one of {BACKENDS}")
        checks = {
            "flip_prob": 0.0 <= self.flip_prob <= 1.0,
            "concurrency": self.concurrency >= 1,
            "timeout_s": self.timeout_s > 0,
            "retries": self.retries >= 0,
            "backoff_s": self.backoff_s >= 0,
            "max_reasoning_chars": self.max_reasoning_chars >= 1,
            "step_budget_s": self.step_budget_s is None or self.step_budget_s > 0,
            "max_reply_bytes": self.max_reply_bytes >= 1024,
        }
        for key, ok in checks.items():
            if not ok:
                raise ValueError(
                    f"r1_reward.judge.{key}={getattr(self, key)!r} is out of range (see conf/r1_reward.yaml)"
                )

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "JudgeConfig":
        """The typed config from ``r1_reward.judge``; unknown keys are errors (a typo would silently do nothing)."""
        known = {f.name: f for f in fields(cls)}
        for key in cfg:
            if key in RENAMED:
                raise ValueError(f"r1_reward.judge.{key} was renamed: use r1_reward.judge.{RENAMED[key]}")
            if key not in known:
                raise ValueError(f"r1_reward.judge.{key} is not a judge setting: use one of {sorted(known)}")
        values = {key: _typed(value, known[key].default) for key, value in cfg.items()}
        return cls(**values)

    def api_key(self) -> str | None:
        """The API key from the env var ``api_key_env`` names (read where the key is used, never stored)."""
        return os.environ.get(self.api_key_env or "") or None


def _typed(value: Any, default: Any) -> Any:
    """``value`` as the type of the field's default (YAML gives ints for floats, strings stay strings)."""
    if value is None or default is None or isinstance(default, str):
        return value
    return type(default)(value)


def endpoint_missing() -> str:
    """The fix for an endpoint judge without a URL or model."""
    return (
        "r1_reward.judge.backend=endpoint needs the judge server's URL and model: set r1_reward.judge.base_url "
        f"(e.g. http://127.0.0.1:8000/v1) and r1_reward.judge.model, or env {BASE_URL_ENV} / {MODEL_ENV}; "
        "start a server with launch/serve_judge.sh, or use r1_reward.judge.backend=rule"
    )


def resolve_env(cfg: Mapping[str, Any], env: Mapping[str, str] | None = None) -> JudgeConfig:
    """The driver's one read of the judge env vars: config values win, then ``R1_JUDGE_BASE_URL`` /
    ``R1_JUDGE_MODEL``; an endpoint judge without both is an error naming the fix. ``env`` defaults to the
    process environment as it is at the call (not as it was at import)."""
    env = os.environ if env is None else env
    config = JudgeConfig.from_config(cfg)
    if config.backend != "endpoint":
        return config
    base_url, model = config.base_url or env.get(BASE_URL_ENV), config.model or env.get(MODEL_ENV)
    if not base_url or not model:
        raise ValueError(endpoint_missing())
    return JudgeConfig.from_config({**cfg, "base_url": base_url, "model": model})
