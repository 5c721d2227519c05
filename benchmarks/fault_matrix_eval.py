"""Evaluator fault table (issue #23): bad items and a misbehaving judge through ``python -m r1_reward.evaluate run``.

Each case writes a small VL-RewardBench file (6 items, 12 presentations under ``--order both``; 10 items in the
acceptance case) with its images beside it, plants one fault, and runs the real CLI in a child process against the
loopback reward model of :mod:`r1_reward.testing.loopback_reward_model` (always answers Response 1) served from this
process, with ``--media-root`` set to the benchmark's folder (except where its default is the point). Columns: case,
exit code, presentations judged / skipped, the skipped reasons, holds. A case holds when the exit code, the judged and
skipped counts and the reasons are the expected ones, and: a ``--strict`` or stopped run exits 1 with one ``error:``
line and no traceback; a refused path's file never reaches the judge; the toy benchmark sends each item its own
picture after its parquet was replaced. The judge's retries are the CLI's defaults (5 tries, 15 s of backoff), so a
give-up costs 15 s.

    PYTHONPATH=$PWD python benchmarks/fault_matrix_eval.py [--workdir /tmp/fault_matrix_eval]
"""

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from r1_reward.testing.loopback_reward_model import LoopbackRewardModel

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_S = 120


def png(path: Path, colour: tuple[int, int, int] = (200, 10, 10)) -> Path:
    Image.new("RGB", (8, 8), colour).save(path, format="PNG")
    return path


def truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", (64, 64), bytes(range(256)) * 48).save(buffer, format="JPEG")
    return buffer.getvalue()[: len(buffer.getvalue()) // 2]


def plant(images: Path, kind: str, name: str) -> str:
    """Replace ``images/name`` with a bad file of ``kind``; returns the row's image reference."""
    target = images / name
    target.unlink()
    if kind == "corrupt PNG":
        target.write_bytes(b"\x89PNG\r\n\x1a\nnot an image")
    elif kind == "truncated JPEG":
        target = target.with_suffix(".jpg")
        target.write_bytes(truncated_jpeg())
    elif kind == "directory":
        target.mkdir()
        png(target / "frame.png")
    elif kind == "FIFO":
        os.mkfifo(target)
    return f"images/{target.name}"


def benchmark(
    folder: Path, n: int, bad: dict[int, str] | None = None, image: dict[int, str] | None = None, absolute: bool = False
) -> Path:
    """``folder/vl.jsonl``: n rows (question ``q<k>?``) with good images, ``bad`` ones planted, ``image`` overrides;
    image paths relative to ``folder``, or ``absolute``."""
    images = folder / "images"
    images.mkdir(parents=True)
    rows = []
    for k in range(n):
        reference = f"images/{png(images / f'{k}.png').name}"
        if k in (bad or {}):
            reference = plant(images, bad[k], f"{k}.png") if bad[k] != "missing" else f"images/missing{k}.png"
        reference = str(folder / reference) if absolute else reference
        rows.append({"id": f"item{k}", "prompt": f"q{k}?", "chosen": f"right {k}", "rejected": "wrong",
                     "image": (image or {}).get(k, reference)})  # fmt: skip
    data = folder / "vl.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return data


def run_cli(data: Path, url: str, *extra: str, benchmark_name: str = "vl_rewardbench") -> dict:
    """The CLI in a child process: exit code, stderr, and the metrics it wrote (None if none)."""
    out = data.with_name("res.json")
    argv = [sys.executable, "-m", "r1_reward.evaluate", "run", "--benchmark", benchmark_name, "--data", str(data),
            "--judge", "endpoint", "--base-url", url, "--model-name", "r1", "--out", str(out), *extra]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(REPO))}
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, env=env)
        code, stderr = done.returncode, done.stderr
    except subprocess.TimeoutExpired as expired:
        code, stderr = "timeout", str(expired.stderr or "")
    metrics = json.loads(out.read_text()) if out.exists() else None
    return {"exit": code, "stderr": stderr, "metrics": metrics}


@dataclass
class Case:
    """One fault: how to build the data and the server, what to pass, and what must come out."""

    name: str
    build: Callable[[Path], tuple[Path, dict]]  # folder -> (data file, LoopbackRewardModel keyword arguments)
    exit: int
    judged: int | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    message: str = ""  # for exit 1: what the one error line must say
    check: Callable[[Path, LoopbackRewardModel], bool] | None = None
    default_media_root: bool = False  # run without --media-root (its default, the data file's folder, is tested)


def _damage_later(folder: Path) -> tuple[Path, dict]:
    def damage(request_number: int, body: dict) -> None:
        if request_number == 1:
            (folder / "images" / "4.png").write_bytes(b"not an image any more")

    return benchmark(folder, 6), {"on_request": damage}


def _outside(folder: Path) -> tuple[Path, dict]:
    secret = png(folder.parent / f"{folder.name}_secret.png", (1, 2, 3))
    return benchmark(folder, 6, image={5: str(secret)}, absolute=True), {}


def _never_sent(folder: Path, server: LoopbackRewardModel) -> bool:
    secret = (folder.parent / f"{folder.name}_secret.png").read_bytes()
    return all(secret not in seen.images for seen in server.seen)


def _toy(folder: Path) -> tuple[Path, dict]:
    from r1_reward.data import toy

    data = toy.write(folder / "a", n_train=2, n_test=6, seed=0)["test"]
    shutil.copy(data, folder / "old.parquet")
    subprocess.run([sys.executable, "-c", f"from r1_reward.evaluate import load_benchmark; load_benchmark('toy', "
                    f"{str(data)!r})"], check=True, timeout=TIMEOUT_S)  # fmt: skip  # the old pictures on disk
    data.write_bytes(toy.write(folder / "b", n_train=2, n_test=6, seed=1)["test"].read_bytes())
    return data, {}


def _toy_pictures_sent(folder: Path, server: LoopbackRewardModel) -> bool:
    """The pictures sent are the replacement parquet's, each item's twice (one per slot), none of the old ones."""
    import pandas as pd

    new = [images[0]["bytes"] for images in pd.read_parquet(folder / "a" / "test.parquet")["images"]]
    old = [images[0]["bytes"] for images in pd.read_parquet(folder / "old.parquet")["images"]]
    sent = [image for seen in server.seen for image in seen.images]
    return sorted(sent) == sorted(new * 2) and not set(sent) & (set(old) - set(new))


def _toy_without_columns(folder: Path) -> tuple[Path, dict]:
    import pandas as pd

    folder.mkdir(parents=True)
    pd.DataFrame({"question": ["q"], "answer": ["a"]}).to_parquet(folder / "other.parquet")
    return folder / "other.parquet", {}


ACCEPTANCE = {2: "corrupt PNG", 5: "truncated JPEG", 7: "missing"}
GIVE_UP = {"give_up_on": ("q1?", "q3?")}
CASES = [
    Case("corrupt PNG", lambda f: (benchmark(f, 6, {4: "corrupt PNG"}), {}), 0, 10, {"corrupt media": 2}),
    Case("truncated JPEG", lambda f: (benchmark(f, 6, {4: "truncated JPEG"}), {}), 0, 10, {"corrupt media": 2}),
    Case("missing image", lambda f: (benchmark(f, 6, {4: "missing"}), {}), 0, 10, {"missing media": 2}),
    Case("directory as image", lambda f: (benchmark(f, 6, {4: "directory"}), {}), 0, 10, {"media not a file": 2}),
    Case("FIFO as image", lambda f: (benchmark(f, 6, {4: "FIFO"}), {}), 0, 10, {"media not a file": 2}),
    Case("image damaged mid-run", _damage_later, 0, 10, {"corrupt media": 2}, ("--batch-size", "1")),
    Case("path outside the data folder", _outside, 0, 10, {"media outside --media-root": 2}, check=_never_sent,
         default_media_root=True),
    Case("judge gives up (HTTP 200, not JSON)", lambda f: (benchmark(f, 6), GIVE_UP), 0, 8, {"judge gave up": 4}),
    Case("judge refuses one item (HTTP 400)", lambda f: (benchmark(f, 6), {"give_up_on": ("q2?",), "fail_status": 400}),
         0, 10, {"judge refused": 2}),
    Case("3 bad images + judge gives up on 2 items",
         lambda f: (benchmark(f, 10, ACCEPTANCE), {"give_up_on": ("q3?", "q8?")}), 0, 10,
         {"corrupt media": 4, "missing media": 2, "judge gave up": 4}),
    Case("--strict, corrupt PNG", lambda f: (benchmark(f, 6, {4: "corrupt PNG"}), {}), 1, args=("--strict",),
         message="item4#0: media file"),
    Case("judge down (HTTP 502 on every request)",
         lambda f: (benchmark(f, 20), {"give_up_on": ("?",), "fail_status": 502}), 1, args=("--batch-size", "8"),
         message="presentations in a row"),
    Case("bad API key (HTTP 401)", lambda f: (benchmark(f, 6), {"give_up_on": ("?",), "fail_status": 401}), 1,
         message="answered HTTP 401"),
    Case("toy parquet replaced (other seed)", _toy, 0, 12, check=_toy_pictures_sent, default_media_root=True),
    Case("toy parquet without its columns", _toy_without_columns, 1, message="has no column 'extra_info'",
         default_media_root=True),
]  # fmt: skip
TOY_CASES = ("toy parquet replaced (other seed)", "toy parquet without its columns")


def run_case(workdir: Path, case: Case) -> dict:
    folder = workdir / re.sub(r"[^a-z0-9]+", "_", case.name.lower()).strip("_")
    data, server_options = case.build(folder)
    name = "toy" if case.name in TOY_CASES else "vl_rewardbench"
    root = () if case.default_media_root else ("--media-root", str(folder))
    with (server := LoopbackRewardModel(**server_options)) as url:
        result = run_cli(data, url, *root, *case.args, benchmark_name=name)
    metrics = result["metrics"] if result["exit"] == 0 else None
    judged = metrics["n_presentations"] if metrics else None
    reasons = metrics.get("skipped_reasons", {}) if metrics else {}
    lines = result["stderr"].strip().splitlines()
    if case.exit == 0:
        holds = result["exit"] == 0 and judged == case.judged and reasons == case.reasons
        shown = ", ".join(f"{kind} {n}" for kind, n in reasons.items()) or "none"
    else:
        error = [line for line in lines if line.startswith("error: ")]
        holds = (
            result["exit"] == 1 and len(error) == 1 and case.message in error[0] and "Traceback" not in result["stderr"]
        )
        shown = error[0][:100] if error else (lines[-1][:100] if lines else "(no message)")
    holds = holds and (case.check is None or case.check(folder, server))
    skipped = metrics.get("n_skipped", 0) if metrics else None
    return {"case": case.name, "exit": result["exit"], "judged": judged, "skipped": skipped, "reasons": shown,
            "holds": bool(holds)}  # fmt: skip


def eval_fault_rows(workdir: Path | str = "/tmp/fault_matrix_eval") -> list[dict]:
    """One dict per case: case, exit, judged, skipped, reasons, holds."""
    workdir = Path(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    try:
        return [run_case(workdir, case) for case in CASES]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def table(rows: list[dict]) -> str:
    lines = ["| case | exit | presentations judged / skipped | skipped reasons (or the error line) | holds |",
             "|---|---:|---|---|---|"]  # fmt: skip
    for r in rows:
        counts = "–" if r["judged"] is None else f"{r['judged']} / {r['skipped']}"
        lines.append(f"| {r['case']} | {r['exit']} | {counts} | {r['reasons']} | {'yes' if r['holds'] else 'NO'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default="/tmp/fault_matrix_eval", help="scratch directory (removed)")
    args = parser.parse_args()
    start = time.perf_counter()
    rows = eval_fault_rows(args.workdir)
    print(table(rows))
    held = sum(r["holds"] for r in rows)
    print(f"\n{held}/{len(rows)} cases hold; {time.perf_counter() - start:.0f} s")
    sys.exit(0 if held == len(rows) else 1)


if __name__ == "__main__":
    main()
