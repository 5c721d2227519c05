"""r1_reward/verl_glue/run_logs.py through verl's own ``Tracking``: the file logger appends (verl 0.9.1's truncates),
a line for the step of the file's last line merges into it, and console lines reach the step log file."""

import json

import pytest
from verl.utils import logger as verl_logger
from verl.utils import tracking

from r1_reward.verl_glue import run_logs


@pytest.fixture
def installed(monkeypatch):
    """The loggers installed as r1_reward.register does; verl's own classes are put back afterwards."""
    monkeypatch.setattr(tracking, "FileLogger", tracking.FileLogger)
    monkeypatch.setattr(verl_logger, "LocalLogger", verl_logger.LocalLogger)
    run_logs.install()


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_relaunch_appends_and_merges_the_resume_steps_validation(installed, tmp_path, monkeypatch):
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps({"step": n, "data": {"loss": n}}) + "\n" for n in (1, 2)))
    monkeypatch.setenv("VERL_FILE_LOGGER_PATH", str(path))
    logger = tracking.Tracking("r1_reward", "x", default_backend=["file"])
    logger.log({"val/acc": 0.5}, step=2)  # verl's val_before_train at the step it resumed from
    logger.log({"loss": 3}, step=3)
    logger.finish()
    assert lines(path) == [
        {"step": 1, "data": {"loss": 1}},
        {"step": 2, "data": {"loss": 2, "val/acc": 0.5}},
        {"step": 3, "data": {"loss": 3}},
    ]


def test_console_lines_reach_the_step_log(installed, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(run_logs.STEP_LOG_ENV, str(tmp_path / "main_ppo.log"))
    logger = tracking.Tracking("r1_reward", "x", default_backend=["console"])
    logger.log({"actor/pg_loss": 0.25}, step=4)
    assert "step:4 - actor/pg_loss:0.25" in capsys.readouterr().out  # still printed
    (line,) = (tmp_path / "main_ppo.log").read_text().splitlines()
    assert line.endswith("[verl.console][INFO] - step:4 - actor/pg_loss:0.25")


def test_the_registration_module_installs_them(monkeypatch):
    monkeypatch.setattr(tracking, "FileLogger", tracking.FileLogger)  # put back after the test
    monkeypatch.setattr(verl_logger, "LocalLogger", verl_logger.LocalLogger)
    import r1_reward.register  # noqa: F401 - what every verl process imports (VERL_USE_EXTERNAL_MODULES)

    assert tracking.FileLogger is run_logs.AppendingFileLogger
    assert verl_logger.LocalLogger is run_logs.StepLogLocalLogger
