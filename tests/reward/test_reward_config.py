"""Config wiring: conf/r1_reward.yaml points verl at our manager; experiments compose; bad settings name the fix."""

import pytest
from hydra_compose import compose_config
from omegaconf import OmegaConf

from r1_reward.reward.config import validate_reward_config


def with_values(config, *assignments: str):
    """``key=value`` edits on a config copy (YAML values), instead of composing again."""
    for assignment in assignments:
        key, value = assignment.split("=", 1)
        OmegaConf.update(config, key, OmegaConf.create({"v": value})["v"] if value != "null" else None, merge=False)
    return config


@pytest.mark.parametrize(
    ("experiment", "key", "value"),
    [
        ("stable_reinforce", "r1_reward.reward.consistency_weight", 0.5),
        ("lambda_0", "r1_reward.reward.consistency_weight", 0.0),
        ("lambda_0p1", "r1_reward.reward.consistency_weight", 0.1),
        ("lambda_1", "r1_reward.reward.consistency_weight", 1.0),
        ("external", "r1_reward.reward.combine", "external"),
        ("noisy_judge_25", "r1_reward.judge.flip_prob", 0.25),
        ("random_judge", "r1_reward.judge.backend", "random"),
    ],
)
def test_reward_experiments_compose_and_validate(experiment: str, key: str, value) -> None:
    config = compose_config(f"+experiment={experiment}")
    node = config
    for part in key.split("."):
        node = node[part]
    assert node == value
    assert config.trainer.experiment_name == experiment
    validate_reward_config(config)


def test_verl_resolves_our_manager() -> None:
    from verl.trainer.ppo.reward import resolve_reward_manager_cls

    from r1_reward.reward.manager import R1RewardManager

    assert resolve_reward_manager_cls(compose_config()) is R1RewardManager


def test_pool_judge_config_validates() -> None:
    config = compose_config("judge=pool")
    validate_reward_config(config)
    assert config.reward.reward_model.enable and config.reward.reward_model.enable_resource_pool


@pytest.mark.parametrize(
    ("base", "edits", "message"),
    [
        ((), ["r1_reward.reward.combine=sum"], "r1_reward.reward.combine"),
        ((), ["r1_reward.reward.on_judge_failure=ignore"], "on_judge_failure"),
        ((), ["r1_reward.judge.backend=gpt"], "r1_reward.judge.backend"),
        ((), ["r1_reward.judge.timeout_s=0"], "r1_reward.judge.timeout_s"),
        ((), ["r1_reward.judge.concurrency=0"], "r1_reward.judge.concurrency"),
        ((), ["r1_reward.judge.backend=endpoint"], "launch/serve_judge.sh"),
        ((), ["r1_reward.judge.backend=pool"], "reward.reward_model.enable=true"),
        (("judge=pool",), ["reward.custom_reward_function.path=null"], "reward.custom_reward_function.path"),
        ((), ["reward.reward_model.enable=true"], "does not use it"),
        ((), ["reward.reward_manager.source=register", "reward.reward_manager.name=naive"], "does not point"),
    ],
)
def test_bad_settings_name_the_fix(base: tuple[str, ...], edits: list[str], message: str, monkeypatch) -> None:
    monkeypatch.delenv("R1_JUDGE_BASE_URL", raising=False)
    monkeypatch.delenv("R1_JUDGE_MODEL", raising=False)
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        validate_reward_config(with_values(compose_config(*base), *edits))


def test_endpoint_from_env(monkeypatch) -> None:
    monkeypatch.setenv("R1_JUDGE_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("R1_JUDGE_MODEL", "judge")
    validate_reward_config(with_values(compose_config(), "r1_reward.judge.backend=endpoint"))
