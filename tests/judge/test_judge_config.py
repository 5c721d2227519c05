"""The typed judge and reward config: one set of defaults (the dataclasses; the YAML repeats them), checked once,
env vars read once in the driver, renamed and unknown keys named, and one probe of an endpoint before Ray starts."""

import asyncio
import re
import threading

import pytest
from hydra_compose import (
    CONF,
    compose_config,
)
from omegaconf import OmegaConf

from r1_reward.judge.config import BASE_URL_ENV, MODEL_ENV, JudgeConfig
from r1_reward.judge.probe import probe_judge
from r1_reward.reward.config import default_values, validate_reward_config
from r1_reward.testing.loopback_judge import Behaviour, LoopbackJudgeServer

composed = compose_config


def test_yaml_repeats_the_dataclass_defaults() -> None:
    config = OmegaConf.to_container(composed().r1_reward)
    assert {"reward": config["reward"], "judge": config["judge"]} == default_values()


def test_every_leaf_key_after_line_80_has_its_comment() -> None:
    lines = (CONF / "r1_reward.yaml").read_text().splitlines()
    for number in range(80, len(lines)):
        line = lines[number]
        if re.match(r"^\s*[\w.]+:\s*\S", line) and not line.strip().startswith("#"):
            assert lines[number - 1].strip().startswith("#"), f"r1_reward.yaml:{number + 1} {line!r} has no comment"


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"max_retries": 2}, "renamed: use r1_reward.judge.retries"),
        ({"timeoutS": 2}, "r1_reward.judge.timeoutS is not a judge setting"),
        ({"retries": -1}, "r1_reward.judge.retries=-1 is out of range"),
        ({"step_budget_s": 0}, "r1_reward.judge.step_budget_s"),
        ({"backend": "gpt"}, "r1_reward.judge.backend='gpt' is unknown"),
    ],
)
def test_bad_judge_keys_name_the_fix(cfg: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        JudgeConfig.from_config(cfg)


def test_endpoint_has_no_silent_default_url(monkeypatch) -> None:
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    with pytest.raises(ValueError, match="r1_reward.judge.base_url"):
        validate_reward_config(composed("judge=endpoint"))


def test_driver_reads_the_env_once_and_workers_get_it_in_the_config(monkeypatch) -> None:
    monkeypatch.setenv(BASE_URL_ENV, "http://127.0.0.1:9/v1")
    monkeypatch.setenv(MODEL_ENV, "from-env")
    config = composed("r1_reward.judge.backend=endpoint")
    validate_reward_config(config)
    monkeypatch.delenv(BASE_URL_ENV)
    monkeypatch.delenv(MODEL_ENV)
    worker_side = JudgeConfig.from_config(config.r1_reward.judge)  # what R1RewardManager builds its judge from
    assert (worker_side.base_url, worker_side.model) == ("http://127.0.0.1:9/v1", "from-env")


def endpoint_config(base_url: str):
    config = composed("judge=endpoint", f"r1_reward.judge.base_url={base_url}", "r1_reward.judge.timeout_s=2")
    validate_reward_config(config)
    return config


def test_probe_passes_a_working_judge_and_names_the_fix_for_a_dead_one() -> None:
    async def start():
        server = LoopbackJudgeServer(Behaviour("ok"))
        return server, await server.start()

    loop = asyncio.new_event_loop()
    server, base_url = loop.run_until_complete(start())
    try:  # the server answers from its own thread's loop while probe_judge runs its own
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        probe_judge(endpoint_config(base_url))
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.run_until_complete(server.stop())
        loop.close()
    with pytest.raises(ValueError) as raised:
        probe_judge(endpoint_config("http://127.0.0.1:9/v1"))  # port 9 (discard): nothing listens on loopback
    message = str(raised.value)
    assert "r1_reward.judge.base_url='http://127.0.0.1:9/v1'" in message and "launch/serve_judge.sh" in message


def test_main_ppo_probes_the_endpoint_before_ray_starts(monkeypatch) -> None:
    import r1_reward.main_ppo as main_ppo

    config = composed(
        "+experiment=stable_reinforce",
        "actor_rollout_ref.model.path=/ckpt/sft",
        "judge=endpoint",
        "r1_reward.judge.base_url=http://127.0.0.1:9/v1",
    )
    monkeypatch.setattr(main_ppo, "validate", lambda _: pytest.fail("verl validation must not be reached"))
    with pytest.raises(ValueError, match="did not answer a probe check"):
        main_ppo.run(config)
