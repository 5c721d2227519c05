"""Hydra sweeps on conf/r1_reward.yaml: one dir and experiment name per run, and the summary table of final metrics.

The sweeps run ``tests/launch/sweep_app.py`` (the real config and callbacks, a stand-in task that logs known metrics
where verl's FileLogger would), so they take seconds; the real-training sweep is an e2e run (see README).
"""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from r1_reward.cluster.sweep import (
    RUN_NAME_OVERRIDE,
    add_run_name,
    final_metrics,
    main,
    run_name,
    stop_ray,
)

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "tests" / "launch" / "sweep_app.py"
# A path in an override becomes part of the name with its '/' as '_' (one file name for verl's file logger).
NAME = "+experiment=stable_reinforce,data.val_files=_v_x.parquet,r1_reward.adv_filter.threshold={},r1_reward.pre_clip.log_bound={}"  # noqa: E501
RUNS = {
    # run dir (= experiment name) -> its table row: step, critic/score/mean = bound/100, actor/pre_clipfrac = 1,
    # val-core/toy/acc = threshold/10 (the values sweep_app logs last); None: the run crashed.
    NAME.format("2.0", 5): "| 2 | 0.05 | 1 | 0.2 |",
    NAME.format("3.0", 5): "| 2 | 0.05 | 1 | 0.3 |",
    NAME.format("2.0", 13): None,
    NAME.format("3.0", 13): None,
}


def run_app(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VERL_FILE_LOGGER")}
    env.update(PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    return subprocess.run(
        [sys.executable, str(APP), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240
    )


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    """A 2 x 2 sweep over the pre-clip bound and the filter threshold; the two bound=13 runs crash."""
    cwd = tmp_path_factory.mktemp("sweep")
    result = run_app(
        cwd,
        "-m",
        "+experiment=stable_reinforce",
        "r1_reward.pre_clip.log_bound=5,13",
        "r1_reward.adv_filter.threshold=2.0,3.0",
        "data.val_files=/v/x.parquet",
        "hydra.sweep.dir=sweep",
    )
    assert result.returncode == 1, result.stderr  # Hydra re-raises the first crashed run after all four ran
    assert "simulated crash at step 1" in result.stderr
    return cwd / "sweep"


def test_every_run_has_its_own_dir_and_experiment_name(sweep_dir):
    run_dirs = {path.parent.name for path in sweep_dir.glob("*/result.json")}
    assert run_dirs == set(RUNS)
    for run in RUNS:
        assert (sweep_dir / run / "experiment_name.txt").read_text() == run


def test_each_runs_metrics_are_in_its_own_folder(sweep_dir):
    # issue #22: a sweep's metrics landed in <sweep dir>/metrics/r1_reward/<name>.jsonl, not in the run's folder
    logged = {path.parent.name for path in sweep_dir.glob("*/metrics.jsonl")}
    assert logged == {run for run, row in RUNS.items() if row is not None}
    assert not (sweep_dir / "metrics").exists()
    run = next(run for run, row in RUNS.items() if row is not None)
    assert final_metrics(sweep_dir / run / "metrics.jsonl")["step"] == 2


def test_summary_table_has_each_runs_final_metrics_and_failures(sweep_dir):
    table = (sweep_dir / "summary.md").read_text()
    header = "| run | status | step | critic/score/mean | actor/pre_clipfrac | val-core/toy/acc |"
    assert table.splitlines()[0] == header
    for run, row in RUNS.items():
        line = next(line for line in table.splitlines() if line.startswith(f"| {run} |"))
        assert line == (f"| {run} | COMPLETED {row}" if row else f"| {run} | FAILED |  |  |  |  |")
        if row is None:
            assert f"- {run}: RuntimeError: simulated crash at step 1" in table
    with open(sweep_dir / "summary.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4
    assert {row["status"] for row in rows} == {"COMPLETED", "FAILED"}


def test_result_records_the_run_overrides_without_the_name_override(sweep_dir):
    run = next(iter(RUNS))
    result = json.loads((sweep_dir / run / "result.json").read_text())
    assert result["experiment_name"] == run
    assert result["overrides"] == [
        "+experiment=stable_reinforce",
        "r1_reward.pre_clip.log_bound=5",
        "r1_reward.adv_filter.threshold=2.0",
        "data.val_files=/v/x.parquet",
    ]


def test_summary_can_be_rebuilt_from_the_command_line(sweep_dir, capsys):
    (sweep_dir / "summary.md").unlink()
    assert main([str(sweep_dir)]) == 0
    assert (sweep_dir / "summary.md").exists()
    assert capsys.readouterr().out.startswith("| run | status | step |")


def test_rebuilding_an_empty_dir_names_the_problem(tmp_path, capsys):
    assert main([str(tmp_path)]) == 1
    assert "is it a finished r1_reward sweep dir?" in capsys.readouterr().err


def test_a_single_run_keeps_its_experiment_name_and_writes_no_summary(tmp_path):
    result = run_app(tmp_path, "+experiment=stable_reinforce", "r1_reward.pre_clip.log_bound=5", "hydra.run.dir=run")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "experiment_name.txt").read_text() == "stable_reinforce"
    assert not list(tmp_path.rglob("result.json")) and not list(tmp_path.rglob("summary.md"))


def test_a_user_given_name_is_kept():
    overrides = ["+experiment=stable_reinforce", "++trainer.experiment_name=mine", "x=1,2"]
    assert add_run_name(overrides) == overrides
    assert add_run_name(["x=1,2"]) == ["x=1,2", RUN_NAME_OVERRIDE]


def test_final_metrics_keep_the_last_value_of_each_key(tmp_path):
    jsonl = tmp_path / "run.jsonl"
    lines = [
        {"step": 1, "data": {"a": 1.0, "b": 5, "note": "text"}},
        {"step": 2, "data": {"a": 0.5}},
        {"step": 3, "data": {"val-core/x": 0.25}},
    ]
    jsonl.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert final_metrics(jsonl) == {"a": 0.5, "b": 5, "val-core/x": 0.25, "step": 3}


@pytest.mark.parametrize("variable", ["VERL_FILE_LOGGER_ROOT", "VERL_FILE_LOGGER_PATH"])
def test_metrics_path_is_where_verls_file_logger_writes(tmp_path, monkeypatch, variable):
    from verl.utils.tracking import FileLogger

    from r1_reward.run_folder import metrics_path

    for name in ("VERL_FILE_LOGGER_ROOT", "VERL_FILE_LOGGER_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, str(tmp_path / ("m.jsonl" if variable.endswith("PATH") else "")))
    logger = FileLogger("r1_reward", "a=1,b=2")
    logger.log({"critic/score/mean": 0.5}, step=7)
    logger.finish()
    path = metrics_path("r1_reward", "a=1,b=2", dict(os.environ))
    assert final_metrics(path) == {"critic/score/mean": 0.5, "step": 7}


class FakeRay:
    """Records shutdown calls; stands in for the ``ray`` module a finished run leaves initialised."""

    def __init__(self, initialized: bool) -> None:
        self.initialized, self.shutdowns = initialized, 0

    def is_initialized(self) -> bool:
        return self.initialized

    def shutdown(self) -> None:
        self.shutdowns += 1


@pytest.mark.parametrize(("initialized", "shutdowns"), [(True, 1), (False, 0)])
def test_a_finished_run_leaves_no_ray_behind_for_the_next(monkeypatch, initialized, shutdowns):
    fake = FakeRay(initialized)
    monkeypatch.setitem(sys.modules, "ray", fake)
    stop_ray()
    assert fake.shutdowns == shutdowns


def test_run_names_are_one_file_name_even_for_paths_and_long_sweeps():
    assert run_name("data.train_files=/d/rl.parquet,x=1") == "data.train_files=_d_rl.parquet,x=1"
    long_a, long_b = "k=" + "a" * 300, "k=" + "a" * 299 + "b"
    assert len(run_name(long_a)) == 200 and run_name(long_a).startswith("k=aaa")
    # Cut names keep apart: the hash is of the whole name.
    assert run_name(long_a) != run_name(long_b)
    assert run_name("short") == "short"
