"""The training-dynamics plot reads verl's file-logger jsonl and skips what a run did not log."""

import json

import pytest
from PIL import Image

from r1_reward.plot import PANELS, main, missing_metrics, plot_run, read_metrics


def write_log(path, steps):
    # verl's FileLogger format: one {"step": n, "data": {...}} line per step (verl/utils/tracking.py).
    path.write_text("".join(json.dumps({"step": n, "data": data}) + "\n" for n, data in steps))
    return path


def test_reads_numeric_series_and_skips_bad_values(tmp_path):
    log = write_log(tmp_path / "run.jsonl", [
        (1, {"reward/mean": 0.5, "actor/pre_clipfrac": 0.0, "timing/name": "x", "flag": True}),
        (2, {"reward/mean": 1.5, "actor/pre_clipfrac": float("nan")}),
    ])  # fmt: skip
    with log.open("a") as f:
        f.write('{"step": 3, "data": {"reward/me')  # a run killed mid-write
    series = read_metrics(log)
    assert series == {"reward/mean": [(1, 0.5), (2, 1.5)], "actor/pre_clipfrac": [(1, 0.0)]}


def test_plot_skips_missing_metrics_with_a_note(tmp_path, capsys):
    log = write_log(
        tmp_path / "run.jsonl", [(n, {"reward/mean": n / 10, "response_length/mean": 30 + n}) for n in range(5)]
    )
    out = plot_run(log, tmp_path / "plots" / "run.png")
    assert out == tmp_path / "plots" / "run.png"
    assert Image.open(out).size[0] > 500
    missing = missing_metrics(read_metrics(log))
    assert missing == [title for title in PANELS if title not in ("reward", "response length")]
    main([str(log)])
    printed = capsys.readouterr().out
    assert "note: pre_clipfrac not plotted" in printed and (tmp_path / "run.png").exists()


def test_a_file_without_metrics_names_the_fix(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(ValueError, match="trainer.logger"):
        plot_run(empty, tmp_path / "x.png")
