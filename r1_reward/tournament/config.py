"""Reads and checks ``r1_reward.tournament`` (the GRPO tournament reward of Appendix C.9) and builds its judge.

The judge's transport keys are the run's ``r1_reward.judge`` ones (backend ``pool`` or ``endpoint``, model, URL,
key env var, concurrency, retries, backoff), so the tournament follows the consistency judge's client rules; only
the per-request timeout is its own (a judgement is a whole reasoning, not a one-word verdict).
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from r1_reward.judge.config import JudgeConfig, endpoint_missing
from r1_reward.judge.factory import pool_config
from r1_reward.reward.config import validate_reward_config
from r1_reward.tournament.pair_judge import PairJudge, PairJudgeSettings
from r1_reward.tournament.pairing import Mode, check_mode

TOURNAMENT_MANAGER_NAME = "r1_tournament"
TOURNAMENT_MANAGER_CLASS = "TournamentRewardManager"
JUDGE_BACKENDS = ("pool", "endpoint")


@dataclass(frozen=True)
class TournamentSettings:
    """How a group is scored: the pairing mode, its seed, the mix with a rule reward, the judge's generation."""

    mode: Mode = "round_robin"
    seed: int = 0
    judge_weight: float = 1.0
    rule_weight: float = 0.0
    use_logprobs: bool = False
    max_tokens: int = 1024
    temperature: float = 0.0
    timeout_s: float = 120.0
    max_failed_frac: float = 0.5
    verdict_log_dir: str | None = None

    def __post_init__(self) -> None:
        check_mode(self.mode)
        if self.judge_weight < 0 or self.rule_weight < 0 or self.judge_weight + self.rule_weight == 0:
            raise ValueError(
                f"r1_reward.tournament.judge_weight={self.judge_weight} / rule_weight={self.rule_weight}: "
                "both must be >= 0 and not both 0"
            )
        if self.max_tokens < 1 or self.timeout_s <= 0 or not 0.0 <= self.max_failed_frac <= 1.0:
            raise ValueError(
                "r1_reward.tournament: max_tokens must be >= 1, timeout_s > 0 and max_failed_frac in [0, 1] "
                "(see conf/tournament/default.yaml)"
            )

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "TournamentSettings":
        """The typed settings from ``r1_reward.tournament`` (defaults here; unknown keys are errors)."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(cfg) - set(known))
        if unknown:
            raise ValueError(
                f"r1_reward.tournament.{unknown[0]} is not a tournament setting: use one of {sorted(known)}"
            )
        numbers = {key: known[key].type(value) for key, value in cfg.items() if known[key].type in (int, float, bool)}
        values = {**cfg, **numbers}
        return cls(**{**values, "verdict_log_dir": values.get("verdict_log_dir") or None})


def uses_tournament(config: Mapping[str, Any]) -> bool:
    """Whether the reward manager is the tournament (``+tournament=default``, ``+experiment=downstream_grpo``)."""
    manager = config["reward"]["reward_manager"]
    return manager.get("name") in (TOURNAMENT_MANAGER_NAME, TOURNAMENT_MANAGER_CLASS)


def tournament_settings(config: Mapping[str, Any]) -> TournamentSettings:
    """``TournamentSettings`` from the full trainer config; errors name the key to fix."""
    cfg = config["r1_reward"].get("tournament")
    if cfg is None:
        raise ValueError("r1_reward.tournament is missing: add +tournament=default (conf/tournament/default.yaml)")
    return TournamentSettings.from_config(cfg)


def validate_tournament_config(config: Mapping[str, Any]) -> TournamentSettings:
    """Everything a tournament run needs before Ray starts: the reward and judge settings, its own keys, a model
    judge, GRPO groups, verl's V1 trainer."""
    validate_reward_config(config, check_manager=False)
    settings = tournament_settings(config)
    backend = config["r1_reward"]["judge"].get("backend")
    if backend not in JUDGE_BACKENDS:
        raise ValueError(
            f"r1_reward.judge.backend={backend!r} cannot judge pairs: the tournament needs the trained R1-Reward "
            "model, so use backend=pool (verl's reward-model pool, judge=pool) or endpoint (your server)"
        )
    if int(config["actor_rollout_ref"]["rollout"]["n"]) < 2:
        raise ValueError("the tournament compares a prompt's rollouts: set actor_rollout_ref.rollout.n >= 2 (paper: 8)")
    trainer = config["trainer"]
    validates = trainer.get("val_before_train") or (trainer.get("test_freq") or -1) > 0
    if validates and int(config["actor_rollout_ref"]["rollout"]["val_kwargs"]["n"]) < 2:
        raise ValueError(
            "validation would score groups of one response, which a tournament cannot rank: set "
            "actor_rollout_ref.rollout.val_kwargs.n >= 2 (and do_sample=true), or trainer.val_before_train=false "
            "and trainer.test_freq=-1 (conf/experiment/downstream_grpo.yaml evaluates on benchmarks instead)"
        )
    if not trainer.get("use_v1", True) or trainer["v1"]["trainer_mode"] != "r1_reward_sync":
        raise ValueError(
            "the tournament scores whole groups in r1_reward's V1 trainer: keep trainer.use_v1=true and "
            "trainer.v1.trainer_mode=r1_reward_sync (conf/r1_reward.yaml)"
        )
    return settings


def build_pair_judge(config: Mapping[str, Any], settings: TournamentSettings, router_address: str | None) -> PairJudge:
    """The R1-Reward judge of ``r1_reward.judge`` (pool: verl's router; endpoint: the configured server)."""
    judge = JudgeConfig.from_config(config["r1_reward"]["judge"])
    backend = judge.backend
    if backend == "pool":
        judge = pool_config(judge, router_address, config["reward"]["reward_model"].get("model_path"))
    elif backend == "endpoint":
        if not judge.base_url or not judge.model:
            raise ValueError(endpoint_missing())
    else:
        raise ValueError(f"r1_reward.judge.backend={backend!r} cannot judge pairs: use one of {JUDGE_BACKENDS}")
    return PairJudge(
        PairJudgeSettings(
            base_url=judge.base_url,
            model=judge.model,
            api_key=judge.api_key(),
            timeout_s=settings.timeout_s,
            retries=judge.retries,
            backoff_s=judge.backoff_s,
            concurrency=judge.concurrency,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            use_logprobs=settings.use_logprobs,
        ),
        name=backend,
    )
