"""+experiment=downstream_grpo composes the Appendix C.9 settings on verl's config, and the tournament's settings
are checked before Ray starts, each error naming the key to change."""

import pytest
from hydra_compose import (
    CONF,
    compose_config,
)

from r1_reward.tournament.config import tournament_settings, uses_tournament, validate_tournament_config


def composed(*overrides: str):
    return compose_config("+experiment=downstream_grpo", "reward.reward_model.model_path=/ckpt/r1", *overrides)


def test_downstream_grpo_has_the_papers_settings():
    config = composed()
    assert config.algorithm.adv_estimator == "grpo"
    assert config.actor_rollout_ref.rollout.n == 8 and config.data.train_batch_size == 256
    assert config.actor_rollout_ref.model.path == "Qwen/Qwen2.5-VL-3B-Instruct"
    assert config.actor_rollout_ref.actor.policy_loss.loss_mode == "vanilla"
    assert config.reward.reward_model.enable and config.reward.reward_model.enable_resource_pool
    assert config.reward.reward_manager.name == "TournamentRewardManager" and uses_tournament(config)
    assert config.r1_reward.judge.backend == "pool" and config.trainer.total_epochs == 1
    settings = validate_tournament_config(config)
    assert settings.mode == "round_robin" and settings.judge_weight == 1.0 and settings.rule_weight == 0.0


@pytest.mark.parametrize(
    ("override", "names"),
    [
        ("r1_reward.judge.backend=rule", "backend=pool"),
        ("actor_rollout_ref.rollout.n=1", "rollout.n >= 2"),
        ("r1_reward.tournament.mode=swiss", "r1_reward.tournament.mode"),
        ("r1_reward.tournament.judge_weight=0", "judge_weight"),
        ("r1_reward.tournament.max_failed_frac=2", "max_failed_frac"),
        ("trainer.v1.trainer_mode=sync", "trainer_mode=r1_reward_sync"),
        ("trainer.val_before_train=true", "val_kwargs.n >= 2"),
    ],
)
def test_bad_settings_name_the_fix(override, names):
    with pytest.raises(ValueError, match=names.replace("(", r"\(").replace(".", r"\.")):
        validate_tournament_config(composed(override))


def test_validation_with_groups_is_allowed():
    validate_tournament_config(composed("trainer.val_before_train=true", "actor_rollout_ref.rollout.val_kwargs.n=4"))


def test_every_tournament_key_has_a_comment():
    for path in (CONF / "tournament" / "default.yaml", CONF / "experiment" / "downstream_grpo.yaml"):
        lines = path.read_text().splitlines()
        for k, line in enumerate(lines):
            stripped = line.strip()
            is_leaf = ":" in stripped and not stripped.startswith(("#", "-")) and not stripped.endswith(":")
            if is_leaf and line.startswith(" "):
                assert lines[k - 1].strip().startswith("#"), f"{path.name}: {stripped} has no comment"


def test_yaml_repeats_the_dataclass_defaults():
    from dataclasses import asdict

    from r1_reward.tournament.config import TournamentSettings

    assert dict(compose_config("+tournament=default").r1_reward.tournament) == asdict(TournamentSettings())


def test_unknown_tournament_key_is_an_error_naming_it():
    with pytest.raises(ValueError, match="r1_reward.tournament.max_fail_frac is not a tournament setting"):
        tournament_settings(composed("+r1_reward.tournament.max_fail_frac=0.2"))
