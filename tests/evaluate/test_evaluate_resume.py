"""A run killed mid-way (SIGKILL) and rerun judges every presentation exactly once; a torn last line is re-judged."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from r1_reward.evaluate import evaluate, load_benchmark
from r1_reward.evaluate.models import FirstBaseline

N_ITEMS = 40  # 80 presentations under --order both

# The killed run: a first-judge that takes 200 ms a batch (8 s in all), so the kill lands mid-run.
SLOW_RUN = textwrap.dedent("""
    import sys, time
    from r1_reward.evaluate import evaluate, load_benchmark
    from r1_reward.evaluate.models import FirstBaseline

    class SlowFirst(FirstBaseline):
        def judge(self, batch, k):
            time.sleep(0.2)
            return super().judge(batch, k)

    data, out = sys.argv[1], sys.argv[2]
    evaluate(load_benchmark("mm_rlhf", data), SlowFirst(), benchmark="mm_rlhf", out=out, batch_size=2)
""")


class CountingFirst(FirstBaseline):
    """Records every presentation it is asked to judge."""

    def __init__(self):
        super().__init__()
        self.seen: list[tuple[str, str]] = []

    def judge(self, batch, k):
        self.seen += [(p.item.key, p.slot) for p in batch]
        return super().judge(batch, k)


def _data(tmp_path: Path) -> Path:
    rows = [{"id": f"g{n // 4}", "prompt": "p", "chosen": "c", "rejected": "r", "image": f"mcq/{n}.png"}
            for n in range(N_ITEMS)]  # fmt: skip
    path = tmp_path / "mm.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _lines(path: Path) -> list[tuple[str, str]]:
    records = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    return [(r["key"], r["slot"]) for r in records]


def test_kill_and_rerun_judges_each_presentation_once(tmp_path):
    data, out = _data(tmp_path), tmp_path / "res.json"
    predictions = tmp_path / "res.predictions.jsonl"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "HF_HUB_OFFLINE": "1"}
    child = subprocess.Popen([sys.executable, "-c", SLOW_RUN, str(data), str(out)], env=env)
    deadline = time.time() + 60
    while time.time() < deadline and (not predictions.exists() or len(predictions.read_text().splitlines()) < 12):
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    before = _lines(predictions)
    assert 10 <= len(before) < 2 * N_ITEMS, "the kill should land mid-run"
    judge = CountingFirst()
    metrics = evaluate(load_benchmark("mm_rlhf", data), judge, benchmark="mm_rlhf", out=out, batch_size=2)
    after = _lines(predictions)
    assert len(after) == len(set(after)) == 2 * N_ITEMS
    assert not set(judge.seen) & set(before) and len(judge.seen) == 2 * N_ITEMS - len(before)
    assert metrics["overall_acc"] == 0.5 and metrics["position_bias"] == 1.0


def test_torn_last_line_is_cut_and_rejudged(tmp_path):
    data, out = _data(tmp_path), tmp_path / "res.json"
    items = load_benchmark("mm_rlhf", data)
    evaluate(items[:3], FirstBaseline(), benchmark="mm_rlhf", out=out)
    predictions = tmp_path / "res.predictions.jsonl"
    text = predictions.read_text()
    predictions.write_text(text[: text.rstrip("\n").rfind("\n") + 1] + '{"key": "g0#2", "sl')  # crash mid-write
    judge = CountingFirst()
    evaluate(items[:3], judge, benchmark="mm_rlhf", out=out)
    assert judge.seen == [("g0#2", "chosen_second")]
    expected = [(f"g0#{n}", slot) for n in range(3) for slot in ("chosen_first", "chosen_second")]
    assert sorted(_lines(predictions)) == sorted(expected)


def test_a_rerun_with_another_model_is_refused_not_resumed(tmp_path):
    # The header names the model a model judge reads: the predictions of checkpoint A never count for checkpoint B.
    import pytest

    items = load_benchmark("mm_rlhf", _data(tmp_path))
    first, second = CountingFirst(), CountingFirst()
    first.source, second.source = "/ckpt/a", "/ckpt/b"
    evaluate(items, first, benchmark="mm_rlhf", out=tmp_path / "res.json")
    with pytest.raises(ValueError, match="model: '/ckpt/a' -> '/ckpt/b'"):
        evaluate(items, second, benchmark="mm_rlhf", out=tmp_path / "res.json")
    assert second.seen == []
