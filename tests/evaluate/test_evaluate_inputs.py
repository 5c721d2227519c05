"""Issue #13's evaluate inputs: resume bound to the data, media confined to --media-root and decodable up front,
parse errors naming file and line, an empty benchmark failing, per-benchmark reply length, and the scaling plot."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from PIL import Image

from r1_reward.evaluate import evaluate, load_benchmark
from r1_reward.evaluate.items import InputError
from r1_reward.evaluate.models import Sample
from r1_reward.evaluate.report import plot_scaling

REPO = Path(__file__).resolve().parents[2]


class SlotOneJudge:
    """Says "1" to everything and records what it was asked; ``needs_media`` makes the runner check media first."""

    name = "slot_one"

    def __init__(self, media_root=None, needs_media=False):
        self.media_root, self.needs_media, self.seen = media_root, needs_media, []

    def judge(self, batch, k):
        self.seen += [p.item.key for p in batch]
        return [[Sample("1") for _ in range(k)] for _ in batch]

    def close(self):
        pass


def _jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _rows(n: int, chosen: str = "c", image: str = "a.png") -> list[dict]:
    return [{"id": f"i{k}", "prompt": "p", "chosen": f"{chosen}{k}", "rejected": "r", "image": image} for k in range(n)]


def _png(path: Path) -> Path:
    Image.new("RGB", (8, 8), (200, 10, 10)).save(path, format="PNG")
    return path


def test_resume_on_other_data_is_refused(tmp_path):
    # issue #13: the same settings with another --data made 0 requests and reported the old file's metrics
    out = tmp_path / "res.json"
    first = load_benchmark("mm_rlhf", _jsonl(tmp_path / "a.jsonl", _rows(4)))
    evaluate(first, SlotOneJudge(), benchmark="mm_rlhf", out=out)
    other = load_benchmark("mm_rlhf", _jsonl(tmp_path / "b.jsonl", _rows(4, chosen="other answer ")))
    judge = SlotOneJudge()
    with pytest.raises(InputError, match="benchmark data differs.*new --predictions path"):
        evaluate(other, judge, benchmark="mm_rlhf", out=out)
    assert judge.seen == []
    assert evaluate(first, judge, benchmark="mm_rlhf", out=out)["n_items"] == 4  # the same data still resumes
    assert judge.seen == []


@pytest.mark.parametrize("escape", ["../secret.png", "absolute", "link.png"])
def test_media_outside_media_root_is_never_read(tmp_path, escape):
    root = tmp_path / "media"
    root.mkdir()
    secret = _png(tmp_path / "secret.png")
    (root / "link.png").symlink_to(secret)
    image = str(secret) if escape == "absolute" else escape
    items = load_benchmark("mm_rlhf", _jsonl(tmp_path / "m.jsonl", _rows(2, image=image)))
    judge = SlotOneJudge(media_root=root, needs_media=True)
    with pytest.raises(InputError, match=r"i0#0: media path .* outside --media-root"):
        evaluate(items, judge, benchmark="mm_rlhf", out=tmp_path / "strict.json", strict=True)
    metrics = evaluate(items, judge, benchmark="mm_rlhf", out=tmp_path / "res.json")
    assert judge.seen == []  # nothing was read or sent, strict or not
    assert (metrics["n_presentations"], metrics["n_skipped"]) == (0, 4)
    assert metrics["skipped_reasons"] == {"media outside --media-root": 4}


@pytest.mark.parametrize("damage", ["truncated", "not an image"])
def test_corrupt_image_is_found_before_judging(tmp_path, damage):
    root = tmp_path / "media"
    root.mkdir()
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(buffer, format="JPEG")
    data = buffer.getvalue()[: len(buffer.getvalue()) // 2] if damage == "truncated" else b"plain text"
    _png(root / "good.png")
    (root / "bad.jpg").write_bytes(data)
    rows = _rows(3, image="good.png") + [{**_rows(1, image="bad.jpg")[0], "id": "bad"}]
    items = load_benchmark("mm_rlhf", _jsonl(tmp_path / "m.jsonl", rows))
    judge = SlotOneJudge(media_root=root, needs_media=True)
    with pytest.raises(InputError, match=r"bad#0: media file .*bad\.jpg cannot be decoded"):
        evaluate(items, judge, benchmark="mm_rlhf", out=tmp_path / "res.json", batch_size=1, strict=True)
    assert judge.seen == []  # --strict: found before judging, nothing judged


def test_parse_errors_name_file_and_line(tmp_path):
    jsonl = tmp_path / "m.jsonl"
    jsonl.write_text(json.dumps(_rows(1)[0]) + "\n\n" + '{"id": "x", "prompt": \n')
    with pytest.raises(InputError, match=r"m\.jsonl:3: invalid JSON"):
        load_benchmark("mm_rlhf", jsonl)
    array = tmp_path / "all_data.json"
    array.write_text('[\n  {"ID": "a"},\n  {"ID": "b",,}\n]')
    with pytest.raises(InputError, match=r"all_data\.json:3: invalid JSON"):
        load_benchmark("multimodal_rewardbench", array)
    _jsonl(jsonl, [*_rows(2), {"id": "z", "prompt": "p", "chosen": "c"}])
    with pytest.raises(InputError, match=r"m\.jsonl:3: z#0: field 'rejected' is missing"):
        load_benchmark("mm_rlhf", jsonl)


def test_empty_benchmark_exits_nonzero(tmp_path):
    # issue #13: an empty file used to exit 0 with overall_acc: null
    data = tmp_path / "empty.jsonl"
    data.write_text("\n")
    argv = [sys.executable, "-m", "r1_reward.evaluate", "run", "--benchmark", "mm_rlhf", "--data", str(data),
            "--judge", "first", "--out", str(tmp_path / "res.json")]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "empty.jsonl holds no rows" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "res.json").exists()


@pytest.mark.parametrize(
    ("benchmark", "flag", "expected"),
    [("toy", [], 48), ("vl_rewardbench", [], 1024), ("mm_rlhf", [], 1024), ("toy", ["--max-new-tokens", "7"], 7)],
)
def test_max_new_tokens_default_per_benchmark(benchmark, flag, expected):
    # issue #13: the toy eval took 10.5 min at 1024 new tokens; its replies fit in 48
    from r1_reward.evaluate.__main__ import _judge_options, parser

    argv = ["run", "--benchmark", benchmark, "--data", "x", "--judge", "transformers", "--model", "m", "--out", "o"]
    assert _judge_options(parser().parse_args([*argv, *flag]))["max_new_tokens"] == expected


def test_scaling_plot_axis_chance_line_and_confidence_curve(tmp_path, monkeypatch):
    # a judge that is never right: autoscaling put the flat 0 % curves on an axis running below zero
    figures = []
    real_savefig = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **kw: (figures.append(self), real_savefig(self, *a, **kw)))
    curve = {"k": [1, 2, 3], "vote": [0.0, 0.0, 0.0], "any": [0.0, 0.0, 0.0], "confidence": [0.0, 0.0, 0.0]}
    metrics = {"benchmark": "toy", "judge": "x", "scaling": {"curve": curve}}
    plot_scaling(metrics, tmp_path / "s.png")
    (ax,) = figures[0].axes
    assert ax.get_ylim()[0] >= 0 and ax.get_ylim()[1] >= 100
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert {"vote@k", "any@k", "confidence-weighted@k", "chance"} <= set(lines)
    assert list(lines["chance"].get_ydata()) == [50, 50]
