"""Issue #23 on ``convert`` and ``select``: an empty input and every whole-file error exit 1 with one clean line naming
the file, no ``*.tmp`` is ever left behind, the parquet and its quarantine file are published together (a manifest
written last), and ``select`` that selects nothing exits 1 naming why."""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from r1_reward.data import Source, convert
from r1_reward.data.__main__ import main


def published_pair(output: Path) -> dict | None:
    from r1_reward.data.publish import published_pair as named_pair  # imported here: the module is what is tested

    return named_pair(output)


REPO = Path(__file__).resolve().parents[2]


def run_cli(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m r1_reward.data ARGV`` in a child process (exit code and both streams, as a user sees them)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "r1_reward.data", *argv]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)


def convert_argv(source: Path, output: Path, image_root: Path) -> list[str]:
    return ["convert", "--format", "pairwise", "--input", str(source), "--image-root", str(image_root),
            "--output", str(output), "--quiet"]  # fmt: skip


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".tmp"))


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".parquet"])
def test_empty_input_exits_1_and_writes_nothing(tmp_path, image_root, suffix):
    # issue #23: an empty input exited 0 with an empty parquet; data/README.md says a source with no usable row exits 1
    source = tmp_path / f"empty{suffix}"
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"question": pa.array([], pa.string())}), source)
    else:
        source.write_text("[]" if suffix == ".json" else "")
    output = tmp_path / "out.parquet"
    done = run_cli(*convert_argv(source, output, image_root))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"pairwise: the file holds no rows; nothing written to {output}" in done.stderr
    assert not output.exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.json", '[\n  {"question": "q"},\n  {"question": ,}\n]', r"broken\.json:3: invalid JSON"),
        ("not_utf8.json", b"[\xff]", r"not_utf8\.json: not UTF-8"),
        ("damaged.parquet", b"PAR1 this is not parquet", r"damaged\.parquet: not a readable parquet file"),
        ("absent.jsonl", None, r"source file .*absent\.jsonl does not exist"),
    ],
)
def test_whole_file_errors_are_one_clean_line_and_leave_no_tmp(tmp_path, image_root, name, content, message):
    # issue #23: these printed a raw traceback and left out.parquet.tmp and out.parquet.rejected.jsonl.tmp behind
    source = tmp_path / name
    if content is not None:
        source.write_bytes(content.encode() if isinstance(content, str) else content)
    done = run_cli(*convert_argv(source, tmp_path / "out.parquet", image_root))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: ") and re.search(message, line), line
    assert leftovers(tmp_path) == [] and not (tmp_path / "out.parquet").exists()


def test_a_rerun_removes_what_a_killed_run_left(tmp_path, image_root, samples, capsys):
    # the files a kill -9 leaves (nothing can clean up after SIGKILL) are removed by the next run on that output
    source = samples.write_jsonl(tmp_path / "in.jsonl", [samples.pairwise()])
    output = tmp_path / "out.parquet"
    for name in ("out.parquet.tmp", "out.parquet.rejected.jsonl.tmp", "out.parquet.manifest.json.tmp"):
        (tmp_path / name).write_bytes(b"half written")
    assert main(convert_argv(source, output, image_root)) == 0
    assert leftovers(tmp_path) == []
    assert "removing" in capsys.readouterr().err and published_pair(output)["parquet"]["rows"] == 1


# Runs the CLI with os.replace patched to SIGKILL the process right after its first call: the quarantine file is
# renamed into place, the parquet is not yet (the window between the two renames).
KILLED_BETWEEN_RENAMES = textwrap.dedent("""
    import os, runpy, signal, sys
    real_replace = os.replace
    def replace_then_die(*args, **kwargs):
        real_replace(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
    os.replace = replace_then_die
    sys.argv = ["r1_reward.data", *sys.argv[1:]]
    runpy.run_module("r1_reward.data", run_name="__main__", alter_sys=True)
""")


def test_parquet_and_quarantine_are_published_together(tmp_path, image_root, samples):
    # issue #23: parquet and rejected.jsonl were renamed one after the other, with nothing saying whether a pair on
    # disk belongs together; now a manifest written last names the pair, and a kill between the renames leaves none
    first = [samples.pairwise(), samples.pairwise(image="missing.png"), samples.pairwise(image="blue.png")]
    second = [samples.pairwise(id=f"s{n}", chosen=f"red {n}") for n in range(4)] + [samples.pairwise(image="nope.png")]
    output = tmp_path / "out.parquet"
    argv = convert_argv(samples.write_jsonl(tmp_path / "first.jsonl", first), output, image_root)
    assert main(argv) == 0
    pair = published_pair(output)
    assert (pair["parquet"]["rows"], pair["rejected"]["rows"]) == (2, 1)

    argv = convert_argv(samples.write_jsonl(tmp_path / "second.jsonl", second), output, image_root)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    killed = subprocess.run([sys.executable, "-c", KILLED_BETWEEN_RENAMES, *argv], env=env, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    rejected = [json.loads(line) for line in (tmp_path / "out.parquet.rejected.jsonl").read_text().splitlines()]
    assert [r["file"] for r in rejected] == [str(tmp_path / "second.jsonl")]  # the new quarantine, the old parquet
    assert published_pair(output) is None  # so the mixed pair is never presented as one
    assert not (tmp_path / "out.parquet.manifest.json").exists()

    assert main(argv) == 0  # a rerun cleans the leftover parquet tmp and publishes a whole pair
    pair = published_pair(output)
    assert (pair["parquet"]["rows"], pair["rejected"]["rows"]) == (4, 1) and leftovers(tmp_path) == []


def test_published_pair_notices_a_file_replaced_after_publishing(tmp_path, image_root, samples):
    output = tmp_path / "out.parquet"
    convert([Source("pairwise", samples.write_jsonl(tmp_path / "in.jsonl", [samples.pairwise()]))], output,
            image_root, progress=False)  # fmt: skip
    assert published_pair(output) is not None
    (tmp_path / "out.parquet.rejected.jsonl").write_text('{"reason": "from elsewhere"}\n')
    assert published_pair(output) is None
