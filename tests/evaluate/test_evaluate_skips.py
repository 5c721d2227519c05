"""Issue #23: one bad item never costs an evaluation. An item whose media cannot be read (before judging or mid-run)
and a presentation on which the judge gives up are skipped, recorded with the reason, counted in the report beside
metrics on the rest (and with skipped ones counted as wrong); ``--strict`` stops at the first; a rerun retries them;
a judge that fails every request stops the run; ``--media-root`` defaults to the data file's folder.

The model under test is the loopback server of :mod:`r1_reward.testing.loopback_reward_model` (always answers
Response 1, so accuracy on judged presentations is 0.5 under ``--order both``); the CLI runs in this process
(``cli``) or, where a hang is possible, in a child process with a timeout.
"""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from r1_reward.evaluate import evaluate, load_benchmark, runner
from r1_reward.evaluate.__main__ import cli
from r1_reward.evaluate.metrics import compute_metrics
from r1_reward.evaluate.models.endpoint import EndpointModel
from r1_reward.testing.loopback_reward_model import LoopbackRewardModel

REPO = Path(__file__).resolve().parents[2]


def png(path: Path, colour=(200, 10, 10)) -> Path:
    Image.new("RGB", (8, 8), colour).save(path, format="PNG")
    return path


def truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(buffer, format="JPEG")
    return buffer.getvalue()[: len(buffer.getvalue()) // 2]


def benchmark(folder: Path, n: int, bad: dict[int, str] | None = None) -> Path:
    """``folder/vl.jsonl``: n VL-RewardBench rows (question ``q<k>``) with good images in ``folder/images``; ``bad``
    plants, per row, a corrupt PNG, a truncated JPEG or a missing file."""
    images = folder / "images"
    images.mkdir(parents=True)
    rows = []
    for k in range(n):
        name = f"{k}.png"
        kind = (bad or {}).get(k)
        if kind == "corrupt":
            (images / name).write_bytes(b"\x89PNG\r\n\x1a\nnot an image")
        elif kind == "truncated":
            name = f"{k}.jpg"
            (images / name).write_bytes(truncated_jpeg())
        elif kind != "missing":
            png(images / name)
        rows.append({"id": f"item{k}", "prompt": f"q{k}?", "chosen": f"right {k}", "rejected": "wrong",
                     "image": f"images/{name}"})  # fmt: skip
    data = folder / "vl.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return data


def run(data: Path, url: str, out: Path, *extra: str) -> int:
    """``evaluate run`` on the endpoint judge in this process (one retry per request, so a give-up takes 1 s, not
    the default 15 s of backoff); its exit code."""
    argv = ["run", "--benchmark", "vl_rewardbench", "--data", str(data), "--judge", "endpoint", "--base-url", url,
            "--model-name", "r1", "--out", str(out), "--batch-size", "4", "--retries", "1", *extra]  # fmt: skip
    try:
        cli(argv)
    except SystemExit as done:
        return done.code
    return 0


def records(out: Path) -> list[dict]:
    lines = out.with_name(out.stem + ".predictions.jsonl").read_text().splitlines()[1:]
    return [json.loads(line) for line in lines]


def test_bad_images_and_a_judge_that_gives_up_cost_only_their_items(tmp_path, capsys):
    # The acceptance case: 10 items, 3 planted bad images, a judge that gives up on 2 items (HTTP 200, body not JSON,
    # every try). Before: exit 1 before judging ("cannot be decoded"), or a ChatGaveUp traceback, and no metrics.
    data = benchmark(tmp_path, 10, {2: "corrupt", 5: "truncated", 7: "missing"})
    out = tmp_path / "res.json"
    with LoopbackRewardModel(give_up_on=("q3?", "q8?")) as url:
        code = run(data, url, out, "--concurrency", "4")
    assert code == 0
    metrics = json.loads(out.read_text())
    assert (metrics["n_items"], metrics["n_presentations"]) == (5, 10)  # judged: items 0, 1, 4, 6, 9 in both slots
    assert (metrics["n_skipped"], metrics["n_skipped_items"]) == (10, 5)
    assert metrics["skipped_reasons"] == {"corrupt media": 4, "missing media": 2, "judge gave up": 4}
    assert metrics["overall_acc"] == 0.5  # always "1": right in slot 1, wrong in slot 2
    assert metrics["with_skipped_as_wrong"]["overall_acc"] == 5 / 20
    skipped = {r["key"]: r["skipped"] for r in records(out) if "skipped" in r}
    assert "images/2.png cannot be decoded" in skipped["item2#0"] and "5.jpg cannot be decoded" in skipped["item5#0"]
    assert "7.png does not exist" in skipped["item7#0"] and "failed after 2 tries" in skipped["item3#0"]
    report = out.with_suffix(".md").read_text()
    assert "Skipped: 10 presentations (5 items)" in report and "| judge gave up | 4 |" in report
    err = capsys.readouterr().err
    assert "warning: 10 presentations skipped (corrupt media 4, judge gave up 4, missing media 2)" in err


def test_strict_stops_at_the_first_bad_item_with_one_line(tmp_path, capsys):
    data = benchmark(tmp_path, 4, {2: "corrupt"})
    with LoopbackRewardModel() as url:
        code = run(data, url, tmp_path / "res.json", "--strict")
    assert code == 1
    err = capsys.readouterr().err
    assert "item2#0: media file" in err and "cannot be decoded" in err and "Traceback" not in err


def test_strict_stops_when_the_judge_gives_up_keeping_what_was_judged(tmp_path, capsys):
    data = benchmark(tmp_path, 4)
    out = tmp_path / "res.json"
    with LoopbackRewardModel(give_up_on=("q2?",)) as url:
        code = run(data, url, out, "--strict", "--concurrency", "1")
    assert code == 1
    assert "item2#0 (chosen_first) could not be judged: judge gave up" in capsys.readouterr().err
    assert sum("skipped" not in r for r in records(out)) == 6  # the other items of the batches so far are kept


def test_image_damaged_after_the_check_is_skipped_mid_run(tmp_path):
    # issue #23: a file that became unreadable after the up-front check crashed the run (PIL.UnidentifiedImageError)
    data = benchmark(tmp_path, 6)

    def damage_item_4(request_number: int, body: dict) -> None:
        if request_number == 1:
            (tmp_path / "images" / "4.png").write_bytes(b"no longer an image")

    out = tmp_path / "res.json"
    with LoopbackRewardModel(on_request=damage_item_4) as url:
        code = run(data, url, out, "--concurrency", "1")
    assert code == 0
    metrics = json.loads(out.read_text())
    assert (metrics["n_presentations"], metrics["skipped_reasons"]) == (10, {"corrupt media": 2})


def test_a_rerun_judges_the_presentations_that_were_skipped(tmp_path):
    data = benchmark(tmp_path, 5)
    out = tmp_path / "res.json"
    with LoopbackRewardModel(give_up_on=("q1?",)) as url:
        assert run(data, url, out) == 0
    assert json.loads(out.read_text())["n_skipped"] == 2
    with (server := LoopbackRewardModel()) as url:
        assert run(data, url, out) == 0
    assert [seen.text.count("q1?") for seen in server.seen] == [1, 1]  # only item 1's two presentations, once each
    metrics = json.loads(out.read_text())
    assert (metrics["n_presentations"], metrics["n_skipped"]) == (10, 0) and "with_skipped_as_wrong" not in metrics


def test_a_judge_that_fails_every_request_stops_the_run(tmp_path):
    items = load_benchmark("vl_rewardbench", benchmark(tmp_path, 20))
    out = tmp_path / "res.json"
    with LoopbackRewardModel(give_up_on=("?",), fail_status=502) as url:
        judge = EndpointModel(url, "r1", media_root=tmp_path, retries=0)
        limit = runner.MAX_JUDGE_FAILURES_IN_A_ROW
        with pytest.raises(runner.RunStopped, match=f"failed on {limit} presentations in a row"):
            evaluate(items, judge, benchmark="vl_rewardbench", out=out, batch_size=8)
        judge.close()
    assert len(records(out)) == limit  # two batches of 8, recorded as skipped, then stopped


def test_a_refused_key_stops_the_run_with_one_line(tmp_path, capsys):
    data = benchmark(tmp_path, 3)
    with LoopbackRewardModel(give_up_on=("?",), fail_status=401) as url:
        assert run(data, url, tmp_path / "res.json") == 1
    err = capsys.readouterr().err
    assert "answered HTTP 401" in err and "check the model name and the API key" in err and "Traceback" not in err


def test_an_item_the_server_refuses_is_skipped(tmp_path):
    # HTTP 400 for one prompt (e.g. longer than the server's context): that item only
    data = benchmark(tmp_path, 3)
    out = tmp_path / "res.json"
    with LoopbackRewardModel(give_up_on=("q0?",), fail_status=400) as url:
        assert run(data, url, out) == 0
    assert json.loads(out.read_text())["skipped_reasons"] == {"judge refused": 2}


def test_media_root_defaults_to_the_data_files_folder(tmp_path):
    # issue #23: without --media-root an absolute path outside the data folder was read and sent to the endpoint
    secret = png(tmp_path / "secret.png", colour=(1, 2, 3))
    folder = tmp_path / "bench"
    data = benchmark(folder, 2)
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    rows[0]["image"] = str(folder / rows[0]["image"])  # absolute, inside the data folder: allowed
    rows[1]["image"] = str(secret)
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = folder / "res.json"
    with (server := LoopbackRewardModel()) as url:
        assert run(data, url, out) == 0
    assert json.loads(out.read_text())["skipped_reasons"] == {"media outside --media-root": 2}
    assert secret.read_bytes() not in [image for seen in server.seen for image in seen.images]
    with (server := LoopbackRewardModel()) as url:  # widened on purpose: allowed
        assert run(data, url, tmp_path / "wide.json", "--media-root", str(tmp_path)) == 0
    assert json.loads((tmp_path / "wide.json").read_text())["n_skipped"] == 0


def test_fifo_and_directory_given_as_images_are_named_never_opened(tmp_path):
    # a FIFO used to be opened by the up-front check (blocking until a writer came); a directory read as frames
    data = benchmark(tmp_path, 3)
    os.unlink(tmp_path / "images" / "0.png")
    os.mkfifo(tmp_path / "images" / "0.png")
    (tmp_path / "images" / "1.png").unlink()
    (tmp_path / "images" / "1.png").mkdir()
    png(tmp_path / "images" / "1.png" / "frame.png")
    out = tmp_path / "res.json"
    with LoopbackRewardModel() as url:
        argv = [sys.executable, "-m", "r1_reward.evaluate", "run", "--benchmark", "vl_rewardbench", "--data",
                str(data), "--judge", "endpoint", "--base-url", url, "--model-name", "r1",
                "--out", str(out)]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    reasons = {r["key"]: r["skipped"] for r in records(out) if "skipped" in r}
    assert "is a FIFO, not an image file" in reasons["item0#0"]
    assert "is a directory, not an image file" in reasons["item1#0"]


def test_metrics_with_skipped_presentations_counted_as_wrong_by_hand():
    # MM-RLHF, one slot per item: g0 has k0, k1 (both right), g1 has k2 (right) and k3 (skipped).
    def rec(key, group, skipped=False):
        line = {"key": key, "id": group, "slot": "chosen_first", "gold": "1", "category": "mcq"}
        if skipped:
            return {**line, "skipped": "corrupt media: x", "samples": []}
        return {**line, "samples": [{"answer": "1"}]}

    header = {"benchmark": "mm_rlhf", "judge": "j", "order": "chosen_first", "samples": 1, "seed": 0}
    metrics = compute_metrics(header, [rec("k0", "g0"), rec("k1", "g0"), rec("k2", "g1"), rec("k3", "g1", True)])
    assert (metrics["overall_acc"], metrics["acc_plus"]) == (1.0, 1.0)  # on the 3 judged
    assert metrics["with_skipped_as_wrong"] == {"overall_acc": 0.75, "acc_plus": 0.5}  # g1 is no longer all right
    assert (metrics["n_skipped"], metrics["skipped_reasons"]) == (1, {"corrupt media": 1})
