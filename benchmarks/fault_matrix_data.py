"""Data fault table (issue #13): planted bad rows through ``python -m r1_reward.data convert``, one fresh process each.

Each case writes a source of good rows around one bad row (or a whole bad input), runs the real CLI in a child
process and reads back what it published. Columns: case, rows in = written + rejected (from the CLI's summary, checked
against the parquet and the quarantine file), the rejection reason, the child's peak RSS, and whether the case holds:
the right exit code, every row accounted for, the expected reason, and peak RSS under ``RSS_BOUND_MB`` (the bound
data/README.md states). ``kill -9`` is sent while a second run is writing; the previous parquet and quarantine file
must survive byte for byte. Whole-file errors, publishing and ``select`` (issue #23) are in
``fault_matrix_data_files.py``, in the same table. ``benchmarks/fault_matrix.py`` combines ``data_fault_rows()`` with
the judge and evaluator tables.

    PYTHONPATH=$PWD python benchmarks/fault_matrix_data.py [--workdir /tmp/fault_matrix_data]
"""

import argparse
import io
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

from PIL import Image

RSS_BOUND_MB = 1024  # data/README.md: peak RSS under 1 GB at the default caps, whatever the input
GOOD_ROW = {"question": "What colour is the square?", "chosen": "It is red.", "rejected": "It is green."}
SUMMARY = re.compile(r"rows in (\d+) = written (\d+) \+ rejected (\d+)")
# Runs the CLI and, at exit, writes the process's own peak RSS (VmHWM: this exec's memory only, not the parent's pages
# a forked child starts with, which ru_maxrss would count) to the file named by argv[1].
CHILD = """
import atexit, runpy, sys
def peak():
    with open("/proc/self/status") as status, open(rss_file, "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM")).split()[1])
atexit.register(peak)
rss_file, sys.argv = sys.argv[1], ["r1_reward.data", *sys.argv[2:]]
runpy.run_module("r1_reward.data", run_name="__main__", alter_sys=True)
"""


def png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG")
    return buffer.getvalue()


def png_with_broken_data() -> bytes:
    """Chunk CRCs right (``verify()`` passes), pixel data not zlib: verl used to load it as an all-black image."""
    data = png((16, 16))
    start = data.index(b"IDAT") - 4
    length = struct.unpack(">I", data[start : start + 4])[0]
    garbage = random.Random(0).randbytes(length)
    chunk = struct.pack(">I", length) + b"IDAT" + garbage + struct.pack(">I", zlib.crc32(b"IDAT" + garbage))
    return data[:start] + chunk + data[start + 12 + length :]


def truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", (256, 256), random.Random(1).randbytes(256 * 256 * 3)).save(buffer, format="JPEG")
    return buffer.getvalue()[: len(buffer.getvalue()) // 2]


def plant_file(name: str, data: Callable[[], bytes]) -> Callable[[Path], str]:
    def plant(images: Path) -> str:
        (images / name).write_bytes(data())
        return name

    return plant


def plant_symlink_loop(images: Path) -> str:
    (images / "loop_a.png").symlink_to("loop_b.png")
    (images / "loop_b.png").symlink_to("loop_a.png")
    return "loop_a.png"


def plant_fifo(images: Path) -> str:
    os.mkfifo(images / "pipe.png")  # opening it would block until a writer comes: it must never be opened
    return "pipe.png"


def plant_directory(images: Path) -> str:
    (images / "folder.png").mkdir()
    return "folder.png"


def plant_huge_file(images: Path) -> str:
    with (images / "huge.png").open("wb") as handle:  # a real PNG followed by a sparse tail: 200 MB on stat
        handle.write(png((8, 8)))
        handle.truncate(200 * 2**20)
    return "huge.png"


# case → (plant the bad image and return the row's reference, expected reason kind)
IMAGE_CASES: dict[str, tuple[Callable[[Path], str], str]] = {
    "NUL byte path": (lambda images: "red\x00.png", "bad image path"),
    "300-byte name": (lambda images: "x" * 296 + ".png", "bad image path"),
    "symlink loop": (plant_symlink_loop, "bad image path"),
    "undecodable PNG": (plant_file("broken.png", png_with_broken_data), "corrupt image"),
    "truncated JPEG": (plant_file("cut.jpg", truncated_jpeg), "corrupt image"),
    "12000x12000": (plant_file("big.png", lambda: png((12000, 12000), "1")), "image too large"),
    "300:1": (plant_file("wide.png", lambda: png((3000, 10))), "extreme aspect ratio"),
    "200 MB file": (plant_huge_file, "image file too large"),
    "FIFO as image": (plant_fifo, "image not a file"),
    "directory as image": (plant_directory, "image not a file"),
}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def case_dir(workdir: Path, name: str) -> Path:
    folder = workdir / re.sub(r"[^a-z0-9]+", "_", name.lower())
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "red.png").write_bytes(png((32, 32)))
    return folder


def peak_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM")).split()[1])


def run_convert(folder: Path, source: Path, kill_when: Callable[[], bool] | None = None, child: str = CHILD) -> dict:
    """Run the CLI on ``source``: its exit code, output and peak RSS, optionally killed (-9) once ``kill_when()``."""
    rss_file = folder / "peak_rss_kib"
    argv = [sys.executable, "-c", child, str(rss_file), "convert", "--format", "pairwise", "--input", str(source),
            "--image-root", str(folder / "images"), "--output", str(folder / "out.parquet"), "--quiet",
            "--row-group-size", "64"]  # fmt: skip
    with open(folder / "stdout.txt", "w") as out, open(folder / "stderr.txt", "w") as err:
        child = subprocess.Popen(argv, stdout=out, stderr=err)
        if kill_when is not None:
            deadline = time.monotonic() + 120
            while not kill_when() and child.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            rss_file.write_text(str(peak_kib(child.pid)))  # no atexit under SIGKILL: read it just before
            child.send_signal(signal.SIGKILL)
        child.wait()
    stdout, stderr = (folder / "stdout.txt").read_text(), (folder / "stderr.txt").read_text()
    found = SUMMARY.search(stdout)
    counts = tuple(int(n) for n in found.groups()) if found else (None, None, None)
    return {"exit": child.returncode, "counts": counts, "stdout": stdout, "stderr": stderr,
            "peak_rss_mb": int(rss_file.read_text()) / 1024 if rss_file.exists() else float("nan")}  # fmt: skip


def published(folder: Path) -> tuple[int | None, list[str]]:
    """Rows in the published parquet (None if absent) and the reason kinds in the published quarantine file."""
    import pyarrow.parquet as pq

    parquet, rejected = folder / "out.parquet", folder / "out.parquet.rejected.jsonl"
    rows = pq.read_metadata(parquet).num_rows if parquet.exists() else None
    lines = rejected.read_text().splitlines() if rejected.exists() else []
    kinds = [json.loads(line)["reason"].split(":")[0] for line in lines]
    return rows, kinds


def image_case(workdir: Path, name: str) -> dict:
    plant, kind = IMAGE_CASES[name]
    folder = case_dir(workdir, name)
    bad = plant(folder / "images")
    rows = [{**GOOD_ROW, "id": "good-1", "image": "red.png"}, {**GOOD_ROW, "id": "bad", "image": bad},
            {**GOOD_ROW, "id": "good-2", "image": "red.png", "chosen": "Red."}]  # fmt: skip
    result = run_convert(folder, write_jsonl(folder / "in.jsonl", rows))
    written, kinds = published(folder)
    rows_in, n_written, n_rejected = result["counts"]
    holds = (result["exit"] == 0 and (rows_in, n_written, n_rejected) == (3, 2, 1) and written == 2
             and kinds == [kind] and result["peak_rss_mb"] < RSS_BOUND_MB)  # fmt: skip
    return row(name, result, kinds[0] if kinds else "(none)", holds)


def missing_column_case(workdir: Path) -> dict:
    folder = case_dir(workdir, "missing column")
    rows = [{"id": f"r{n}", "question": "q?", "rejected": "no", "image": "red.png"} for n in range(3)]
    result = run_convert(folder, write_jsonl(folder / "in.jsonl", rows))
    written, _ = published(folder)
    named = "missing field: chosen" in result["stderr"]
    holds = result["exit"] == 1 and named and result["counts"] == (3, 0, 3) and written is None
    reason = "missing field: chosen (exit 1, nothing written)" if named else result["stderr"][-80:]
    return row("missing column", result, reason, holds and result["peak_rss_mb"] < RSS_BOUND_MB)


def kill_case(workdir: Path) -> dict:
    """A finished run, then kill -9 while a second run on another input is writing: the first outputs must survive."""
    folder = case_dir(workdir, "kill -9 during write")
    first = [{**GOOD_ROW, "id": f"a{n}", "image": "red.png" if n % 5 else "nope.png", "chosen": f"Red {n}."}
             for n in range(50)]  # fmt: skip
    done = run_convert(folder, write_jsonl(folder / "first.jsonl", first))
    before = ((folder / "out.parquet").read_bytes(), (folder / "out.parquet.rejected.jsonl").read_bytes())
    second = [{**GOOD_ROW, "id": f"b{n}", "image": "red.png" if n % 7 else "gone.png", "chosen": f"Crimson {n}."}
              for n in range(20000)]  # fmt: skip
    tmp = folder / "out.parquet.tmp"
    killed = run_convert(folder, write_jsonl(folder / "second.jsonl", second),
                         kill_when=lambda: tmp.exists() and tmp.stat().st_size > 64 * 1024)  # fmt: skip
    after = ((folder / "out.parquet").read_bytes(), (folder / "out.parquet.rejected.jsonl").read_bytes())
    written, kinds = published(folder)
    intact = after == before and written is not None and (written + len(kinds)) == 50 == done["counts"][0]
    holds = done["exit"] == 0 and killed["exit"] == -signal.SIGKILL and intact
    killed["counts"] = (written + len(kinds), written, len(kinds))  # what the surviving files account for
    reason = "previous parquet + quarantine intact" if intact else "outputs changed by the killed run"
    return row("kill -9 during write", killed, reason, holds and killed["peak_rss_mb"] < RSS_BOUND_MB)


def row(case: str, result: dict, reason: str, holds: bool) -> dict:
    rows_in, written, rejected = result["counts"]
    return {"case": case, "rows_in": rows_in, "written": written, "rejected": rejected, "reason": reason,
            "exit": result["exit"], "peak_rss_mb": round(result["peak_rss_mb"]), "holds": bool(holds)}  # fmt: skip


def data_fault_rows(workdir: Path | str = "/tmp/fault_matrix_data") -> list[dict]:
    """One dict per case: case, rows_in, written, rejected, reason, exit, peak_rss_mb, holds."""
    workdir = Path(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    from fault_matrix_data_files import file_fault_rows  # whole-file errors, publishing, select (issue #23)

    try:
        rows = [image_case(workdir, name) for name in IMAGE_CASES]
        return [*rows, missing_column_case(workdir), kill_case(workdir), *file_fault_rows(workdir)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def table(rows: list[dict]) -> str:
    lines = ["| case | rows in = written + rejected | rejection reason | exit | peak RSS | holds |",
             "|---|---|---|---:|---:|---|"]  # fmt: skip
    for r in rows:
        counts = "–" if r["rows_in"] is None else f"{r['rows_in']} = {r['written']} + {r['rejected']}"
        lines.append(f"| {r['case']} | {counts} | {r['reason']} | {r['exit']}"
                     f" | {r['peak_rss_mb']} MB | {'yes' if r['holds'] else 'NO'} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default="/tmp/fault_matrix_data", help="scratch directory (removed)")
    args = parser.parse_args()
    start = time.perf_counter()
    rows = data_fault_rows(args.workdir)
    print(table(rows))
    held = sum(r["holds"] for r in rows)
    print(f"\n{held}/{len(rows)} cases hold (peak RSS bound {RSS_BOUND_MB} MB); {time.perf_counter() - start:.0f} s")
    sys.exit(0 if held == len(rows) else 1)


if __name__ == "__main__":
    main()
