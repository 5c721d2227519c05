"""Rows of the data fault table for issue #23: whole-file errors, publishing the pair, and ``select``.

Each case runs the real CLI (``python -m r1_reward.data``) in a child process, like ``fault_matrix_data.py``, and
holds when: an empty input, a malformed ``.json`` array and a missing ``--input`` exit 1 with one clean line naming
the file (no traceback) and leave nothing behind (no output, no ``*.tmp``); a rerun after ``kill -9`` mid-write
removes the killed run's ``*.tmp`` and publishes a whole pair; a kill between the two renames leaves no manifest (the
mixed pair is never presented as one) and a rerun publishes a pair its manifest names; ``select`` that selects nothing
exits 1 naming why and writes nothing. Run through ``fault_matrix_data.py`` (same table).
"""

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from fault_matrix_data import CHILD, GOOD_ROW, case_dir, row, run_convert, write_jsonl

# CHILD, with os.replace made to SIGKILL the process right after its first call: convert's first rename (the
# quarantine file) is done, the parquet's is not.
KILLED_BETWEEN_RENAMES = (
    textwrap.dedent("""
    import os, signal
    real_replace = os.replace
    def replace_then_die(*args, **kwargs):
        real_replace(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
    os.replace = replace_then_die
""")
    + CHILD
)


def _clean_failure(result: dict, folder: Path, named: str) -> tuple[bool, str]:
    """Exit 1, one stderr line starting ``error:`` and naming ``named``, no traceback, no output, no ``*.tmp``."""
    lines = result["stderr"].strip().splitlines()
    left = sorted(p.name for p in folder.iterdir() if p.name.startswith("out.parquet"))
    one_line = len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0]
    holds = result["exit"] == 1 and one_line and "Traceback" not in result["stderr"] and left == []
    return holds, (lines[0][:110] if lines else "(no message)") + ("" if left == [] else f"; left {left}")


def empty_input_case(workdir: Path) -> dict:
    folder = case_dir(workdir, "empty input")
    result = run_convert(folder, write_jsonl(folder / "in.jsonl", []))
    holds, reason = _clean_failure(result, folder, "the file holds no rows")
    return row("empty input", result, reason, holds)


def malformed_json_case(workdir: Path) -> dict:
    folder = case_dir(workdir, "malformed json array")
    source = folder / "in.json"
    source.write_text('[\n  {"question": "q"},\n  {"question": ,}\n]')
    result = run_convert(folder, source)
    holds, reason = _clean_failure(result, folder, f"{source}:3: invalid JSON")
    return row("malformed .json array", result, reason, holds)


def missing_input_case(workdir: Path) -> dict:
    folder = case_dir(workdir, "missing input")
    result = run_convert(folder, folder / "absent.jsonl")
    holds, reason = _clean_failure(result, folder, "absent.jsonl does not exist")
    return row("missing --input", result, reason, holds)


def _published(folder: Path) -> tuple[int, int] | None:
    """(parquet rows, quarantined rows) of the pair the manifest names, if the files on disk are that pair."""
    try:
        from r1_reward.data.publish import published_pair
    except ImportError:  # a convert from before manifests (the table run on older code): no pair is named
        return None
    pair = published_pair(folder / "out.parquet")
    return (pair["parquet"]["rows"], pair["rejected"]["rows"]) if pair else None


def rerun_after_kill_case(workdir: Path) -> dict:
    folder = case_dir(workdir, "rerun after kill -9")
    rows = [{**GOOD_ROW, "id": f"b{n}", "image": "red.png" if n % 7 else "gone.png", "chosen": f"Crimson {n}."}
            for n in range(5000)]  # fmt: skip
    source = write_jsonl(folder / "in.jsonl", rows)
    tmp = folder / "out.parquet.tmp"
    killed = run_convert(folder, source, kill_when=lambda: tmp.exists() and tmp.stat().st_size > 16 * 1024)
    left_by_kill = sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))
    rerun = run_convert(folder, source)
    left_after = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
    pair = _published(folder)
    holds = (killed["exit"] == -signal.SIGKILL and left_by_kill and rerun["exit"] == 0 and left_after == []
             and pair == (rerun["counts"][1], rerun["counts"][2]) and "removing" in rerun["stderr"])  # fmt: skip
    reason = f"kill left {len(left_by_kill)} *.tmp, the rerun {len(left_after)}; manifest names the pair {pair}"
    return row("rerun after kill -9", rerun, reason, holds)


def kill_between_renames_case(workdir: Path) -> dict:
    folder = case_dir(workdir, "kill between the renames")
    first = [{**GOOD_ROW, "id": f"a{n}", "image": "red.png" if n % 5 else "nope.png", "chosen": f"Red {n}."}
             for n in range(10)]  # fmt: skip
    second = [{**GOOD_ROW, "id": f"c{n}", "image": "red.png" if n % 3 else "nope.png", "chosen": f"Ruby {n}."}
              for n in range(12)]  # fmt: skip
    done = run_convert(folder, write_jsonl(folder / "first.jsonl", first))
    before = _published(folder)
    source = write_jsonl(folder / "second.jsonl", second)
    killed = run_convert(folder, source, child=KILLED_BETWEEN_RENAMES)
    quarantined = [
        json.loads(line)["file"] for line in (folder / "out.parquet.rejected.jsonl").read_text().splitlines()
    ]
    mixed = quarantined == [str(source)] * 4  # the new quarantine file beside the old parquet
    after_kill = _published(folder)
    rerun = run_convert(folder, source)
    holds = (done["exit"] == 0 and before == (8, 2) and killed["exit"] == -signal.SIGKILL and mixed
             and after_kill is None and rerun["exit"] == 0 and _published(folder) == (8, 4))  # fmt: skip
    reason = (
        f"after the kill: {'no manifest' if after_kill is None else 'a manifest'}; rerun: pair {_published(folder)}"
    )
    return row("kill between the renames", rerun, reason, holds)


def nothing_selected_case(workdir: Path) -> dict:
    """Every row annotated right at the first attempt: ``select`` has no hard row."""
    import pyarrow.parquet as pq

    from r1_reward.data.journal import Annotation, JournalWriter, row_key

    folder = case_dir(workdir, "select nothing")
    rows = [{**GOOD_ROW, "id": f"e{n}", "image": "red.png", "chosen": f"Red {n}."} for n in range(4)]
    converted = run_convert(folder, write_jsonl(folder / "in.jsonl", rows))
    writer = JournalWriter(folder / "sft.parquet.annotations.jsonl")
    for index, record in enumerate(pq.read_table(folder / "out.parquet").to_pylist()):
        writer.add(Annotation(index, 1, True, "<think>t</think><answer>1</answer>", ["1"], row_key(record)))
    writer.close()
    argv = [sys.executable, "-m", "r1_reward.data", "select", "--input", str(folder / "out.parquet"), "--sft",
            str(folder / "sft.parquet"), "--output", str(folder / "hard.parquet")]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    named = "no row selected" in done.stderr and "fewer than 2 attempts" in done.stderr
    holds = converted["exit"] == 0 and done.returncode == 1 and named and not (folder / "hard.parquet").exists()
    result = {**converted, "exit": done.returncode}
    written = "written" if (folder / "hard.parquet").exists() else "not written"
    last = done.stderr.strip().splitlines()[-1][:60] if done.stderr.strip() else "no message"
    why = f"exit {done.returncode}: {'no row selected, named why' if named else last}; hard.parquet {written}"
    return row("select: nothing selected", result, why, holds)


def file_fault_rows(workdir: Path) -> list[dict]:
    """The issue #23 rows of the data table (see the module docstring)."""
    cases = (empty_input_case, malformed_json_case, missing_input_case, rerun_after_kill_case,
             kill_between_renames_case, nothing_selected_case)  # fmt: skip
    return [case(workdir) for case in cases]
