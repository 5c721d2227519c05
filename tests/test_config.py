"""Every experiment composes on verl's ppo_trainer and passes verl's own config classes and validation."""

import pytest
from hydra_compose import CONF, compose_config
from verl.utils.config import omega_conf_to_dataclass

from r1_reward.algos.adv_filter import StableReinforceAlgoConfig
from r1_reward.algos.pre_clip import PreClipPolicyLossConfig
from r1_reward.main_ppo import validate

EXPERIMENTS = sorted(path.stem for path in (CONF / "experiment").glob("*.yaml"))


composed = compose_config


@pytest.mark.parametrize("engine", ["dp", "megatron"])
@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_passes_verl_validation(experiment, engine):
    config = composed(f"+experiment={experiment}", f"model_engine={engine}")
    validate(config)
    actor = omega_conf_to_dataclass(config.actor_rollout_ref.actor)
    assert isinstance(actor.policy_loss, PreClipPolicyLossConfig)
    assert isinstance(omega_conf_to_dataclass(config.algorithm), StableReinforceAlgoConfig)


def test_paper_settings_reach_verl_fields():
    config = composed("+experiment=stable_reinforce")
    assert config.algorithm.adv_estimator == "stable_reinforce"
    assert config.actor_rollout_ref.actor.policy_loss.loss_mode == "stable_reinforce"
    assert config.data.train_batch_size == 256 and config.actor_rollout_ref.actor.ppo_mini_batch_size == 128
    assert config.actor_rollout_ref.actor.optim.lr == 1e-6
    assert config.algorithm.kl_ctrl.kl_coef == 0.0 and config.trainer.total_epochs == 5
    assert config.actor_rollout_ref.model.path == "Qwen/Qwen2.5-VL-7B-Instruct"


@pytest.mark.parametrize(
    ("experiment", "estimator", "pre_clip", "threshold"),
    [
        ("reinforce_pp", "reinforce_plus_plus", False, 3.0),
        ("no_pre_clip", "stable_reinforce", False, 3.0),
        ("no_adv_filter", "stable_reinforce", True, None),
    ],
)
def test_ablations_change_only_their_component(experiment, estimator, pre_clip, threshold):
    config = composed(f"+experiment={experiment}")
    assert config.algorithm.adv_estimator == estimator
    assert config.actor_rollout_ref.actor.policy_loss.loss_mode == "stable_reinforce"
    assert config.actor_rollout_ref.actor.policy_loss.enabled is pre_clip
    assert config.algorithm.adv_filter_threshold == threshold


def test_namespace_keys_reach_the_workers_config():
    config = composed(
        "+experiment=stable_reinforce", "r1_reward.pre_clip.log_bound=5", "r1_reward.adv_filter.scope=group"
    )
    policy_loss = omega_conf_to_dataclass(config.actor_rollout_ref.actor).policy_loss
    assert policy_loss.log_bound == 5.0
    assert omega_conf_to_dataclass(config.algorithm).adv_norm_scope == "group"


def test_bad_namespace_value_fails_validation_naming_the_key():
    config = composed("+experiment=stable_reinforce", "r1_reward.pre_clip.delta_max=0.5")
    with pytest.raises(Exception, match="r1_reward.pre_clip"):
        validate(config)


def _leaves(node, prefix=""):
    """``{dotted key: value}`` of a YAML mapping's leaves."""
    if not isinstance(node, dict):
        return {prefix: node}
    pairs = (_leaves(child, f"{prefix}.{key}" if prefix else key) for key, child in node.items())
    return {key: value for leaves in pairs for key, value in leaves.items()}


def test_experiments_do_not_restate_the_base_config():
    import yaml

    base = _leaves(yaml.safe_load((CONF / "r1_reward.yaml").read_text()))
    for path in sorted((CONF / "experiment").glob("*.yaml")):
        restated = {key for key, value in _leaves(yaml.safe_load(path.read_text())).items() if base.get(key) == value}
        assert not restated, f"{path.name} restates conf/r1_reward.yaml: {sorted(restated)}"


def uncommented_keys(path) -> list[str]:
    """Leaf keys of a YAML file without a comment line right above them (mapping keys hold commented leaves)."""
    lines = path.read_text().splitlines()
    return [
        line.strip()
        for above, line in zip(["#"] + lines, lines)
        if line.strip()
        and not line.lstrip().startswith(("#", "- "))
        and not line.rstrip().endswith(":")
        and not above.strip().startswith("#")
    ]


@pytest.mark.parametrize("path", sorted(CONF.glob("profile/*.yaml")) + sorted(CONF.glob("sft/profile/*.yaml")),
                         ids=lambda path: str(path.relative_to(CONF)))  # fmt: skip
def test_every_profile_key_has_its_comment(path):
    assert uncommented_keys(path) == []


def test_the_comment_check_finds_a_bare_key(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a:\n  # why\n  b: 1\n  c: 2\n")
    assert uncommented_keys(path) == ["c: 2"]
