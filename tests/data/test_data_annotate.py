"""``annotate`` against a loopback fake OpenAI server: attempts, kept replies, retries, resume after SIGKILL."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from r1_reward.data import Source, convert
from r1_reward.data.annotate import annotate, journal_path
from r1_reward.data.annotator import Endpoint
from r1_reward.data.journal import load_journal
from r1_reward.data.select import select
from r1_reward.testing.loopback_annotator import KEY, LoopbackAnnotator


def rl_parquet(tmp_path: Path, image_root: Path, samples, needs: list[str]) -> Path:
    rows = [
        samples.pairwise(id=f"q{i}", question=f"q{i} need={k}", chosen=f"good answer {i}") for i, k in enumerate(needs)
    ]
    source = samples.write_jsonl(tmp_path / "pairs.jsonl", rows)
    convert([Source("pairwise", source)], tmp_path / "rl.parquet", image_root, seed=5, progress=False)
    return tmp_path / "rl.parquet"


@pytest.fixture
def server():
    fake = LoopbackAnnotator().start()
    yield fake
    fake.stop()


def test_attempts_kept_replies_and_hard_subset(tmp_path, image_root, samples, server):
    # need=4 is never reached within 3 attempts; "flaky" costs one retried 503
    needs = ["1", "2", "3", "4", "1 flaky", "2"]
    rl = rl_parquet(tmp_path, image_root, samples, needs)
    endpoint = Endpoint(server.url, "fake", KEY, backoff_s=0.01)
    summary = annotate(rl, tmp_path / "sft.parquet", endpoint, concurrency=3, progress=False)
    assert server.bad_requests == []
    assert (summary.rows, summary.annotated, summary.failed) == (6, 6, 0)
    assert summary.correct_at == {1: 2, 2: 2, 3: 1} and summary.never_correct == 1
    assert summary.replies == 1 + 2 + 3 + 3 + 1 + 2
    assert summary.requests == summary.replies + 1  # every HTTP request counts, the 503 that was retried too
    sft = pq.read_table(tmp_path / "sft.parquet").to_pylist()
    assert len(sft) == 5
    for row in sft:
        user, assistant = row["messages"]
        assert user["content"].startswith("<image>") and assistant["role"] == "assistant"
        assert assistant["content"].endswith(f"<answer>{row['reward_model']['ground_truth']}</answer>")
        question = row["extra_info"]["question"]
        assert row["extra_info"]["attempts"] == int(question.split("need=")[1][0])
    hard = select(rl, journal_path(tmp_path / "sft.parquet"), tmp_path / "hard.parquet")
    assert (hard.selected, hard.easy, hard.unannotated) == (4, 2, 0)
    chosen = pq.read_table(tmp_path / "hard.parquet").to_pylist()
    assert sorted(row["extra_info"]["question"].split()[1] for row in chosen) == [
        "need=2",
        "need=2",
        "need=3",
        "need=4",
    ]
    assert [row["extra_info"]["annotator_correct"] for row in chosen].count(False) == 1


def run_cli(rl: Path, out: Path, url: str) -> subprocess.Popen:
    argv = [
        sys.executable,
        "-m",
        "r1_reward.data",
        "annotate",
        "--input",
        str(rl),
        "--output",
        str(out),
        "--base-url",
        url,
        "--model",
        "fake",
        "--concurrency",
        "4",
        "--quiet",
    ]
    env = {**os.environ, "OPENAI_API_KEY": KEY, "PYTHONPATH": os.getcwd()}
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_sigkill_mid_run_then_resume_loses_nothing_and_repeats_nothing(tmp_path, image_root, samples):
    fake = LoopbackAnnotator(delay_s=0.05)
    fake.start()
    rows = 60
    # needs 1..3 only: a row in flight at the kill is asked again from scratch, and the fake's per-question call
    # count carries over, so a need=4 row could become right on its 4th call in all; 1..3 keeps counts exact
    rl = rl_parquet(tmp_path, image_root, samples, [str(1 + i % 3) for i in range(rows)])
    out = tmp_path / "sft.parquet"
    journal = journal_path(out)
    first = run_cli(rl, out, fake.url)
    deadline = time.monotonic() + 60
    while (not journal.exists() or len(journal.read_bytes().splitlines()) < 15) and time.monotonic() < deadline:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    finished_before = len(load_journal(journal))
    requests_before = sum(fake.calls.values())
    assert 15 <= finished_before < rows, "the kill must land mid-run"
    second = run_cli(rl, out, fake.url)
    printed, _ = second.communicate(timeout=120)
    assert second.returncode == 0, printed
    entries = [json.loads(line) for line in journal.read_text().splitlines()]
    assert sorted(entry["row"] for entry in entries) == list(range(rows))  # each row exactly once
    assert f"already done {finished_before}" in printed and KEY not in printed
    correct = sum(entry["correct"] for entry in entries)
    assert correct == pq.read_metadata(out).num_rows == rows
    print(
        f"\nkill/resume: {rows} rows, {finished_before} journaled before SIGKILL, {requests_before} requests"
        f" before, {sum(fake.calls.values())} in all (120 with no kill); {correct} SFT rows"
    )
    fake.stop()


def test_row_failing_after_retries_is_counted_not_journaled_and_retried_next_run(
    tmp_path, image_root, samples, server, capsys
):
    from r1_reward.data.__main__ import main

    rl = rl_parquet(tmp_path, image_root, samples, ["1", "1 flaky"])
    out = tmp_path / "sft.parquet"
    no_retry = Endpoint(server.url, "fake", KEY, retries=0)
    summary = annotate(rl, out, no_retry, concurrency=2, progress=False)  # the 503 is not retried: row fails
    assert (summary.annotated, summary.failed) == (1, 1) and "HTTP 503" in summary.first_error
    # issue #23: "requests" counted replies only (it said 0 after 15 failed requests); the 503 was a request too
    assert (summary.requests, summary.replies) == (2, 1) and "requests: 2 (1 answered)" in summary.text()
    assert len(load_journal(journal_path(out))) == 1
    argv = ["select", "--input", str(rl), "--sft", str(out), "--output", str(tmp_path / "hard.parquet")]
    assert main(argv) == 1  # one row is not annotated yet
    assert "1 rows have no annotation" in capsys.readouterr().err
    summary = annotate(rl, out, Endpoint(server.url, "fake", KEY), concurrency=2, progress=False)
    assert (summary.already_done, summary.annotated, summary.failed) == (1, 1, 0)
    # both rows were answered right at the first attempt: no hard row, so select exits 1 and writes nothing
    assert main(argv) == 1
    assert "every annotated row (2) was answered correctly in fewer than 2 attempts" in capsys.readouterr().err
    assert not (tmp_path / "hard.parquet").exists() and not (tmp_path / "hard.parquet.tmp").exists()
    assert main([*argv, "--min-attempts", "1"]) == 0


def test_reconverted_input_redoes_changed_rows_and_no_target_contradicts_its_label(
    tmp_path, image_root, samples, server
):
    # issue #13: with a row-number journal, reconverting with another --seed made 0 requests and 20 of 30 SFT targets
    # contradicted their row's ground truth; rows are now keyed by content, so only rows that changed are redone
    rl = rl_parquet(tmp_path, image_root, samples, ["1"] * 30)
    out = tmp_path / "sft.parquet"
    endpoint = Endpoint(server.url, "fake", KEY)
    assert annotate(rl, out, endpoint, concurrency=4, progress=False).requests == 30
    truths_before = [r["ground_truth"] for r in pq.read_table(rl).column("reward_model").to_pylist()]
    source = tmp_path / "pairs.jsonl"
    convert([Source("pairwise", source)], rl, image_root, seed=6, progress=False)
    truths_after = [r["ground_truth"] for r in pq.read_table(rl).column("reward_model").to_pylist()]
    changed = sum(a != b for a, b in zip(truths_before, truths_after))
    assert 0 < changed < 30  # both seeds balance 15:15, so some rows keep their order and some swap
    summary = annotate(rl, out, endpoint, concurrency=4, progress=False)
    assert summary.requests == changed  # need=1: one call per redone row
    sft = pq.read_table(out).to_pylist()
    contradicting = [
        r
        for r in sft
        if not r["messages"][1]["content"].endswith(f"<answer>{r['reward_model']['ground_truth']}</answer>")
    ]
    assert len(sft) == 30 and contradicting == []
    assert (summary.already_done, summary.annotated, summary.stale) == (30 - changed, changed, changed)
