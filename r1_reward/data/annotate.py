"""``annotate``: cold-start SFT data from an annotator model (§3.2), concurrent and resumable.

Each row's Table 1 prompt goes to the annotator at temperature 0 up to ``max_attempts`` times, stopping at the
first reply whose choice matches the ground truth; the reply is kept as the SFT target and the number of
attempts recorded as the row's difficulty. Finished rows are journaled one by one (``journal.py``), keyed by their
content, so a killed run restarted with the same arguments loses no finished row and annotates none twice, and a
row that changed since (the input was reconverted) is annotated afresh instead of inheriting another row's reply.
"""

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
from tqdm import tqdm

from r1_reward.data.annotator import ChatClient, Endpoint, chat_content
from r1_reward.data.choice import reply_choice
from r1_reward.data.journal import Annotation, JournalWriter, load_journal, row_key
from r1_reward.data.sft import write_sft

MAX_ATTEMPTS = 3


@dataclass
class Task:
    """One input row to annotate: its position and content key, the user turn, its images and the ground truth."""

    row: int
    key: str
    content: str
    images: list[bytes]
    ground_truth: int


@dataclass
class AnnotateSummary:
    """Counts of one ``annotate`` run; ``rows == already_done + shared + annotated + failed`` when it ends.

    ``shared``: rows identical in content to an earlier row of the input, which share its annotation; ``stale``:
    journal entries that match no row any more (the input changed since), ignored. ``requests``: HTTP requests sent,
    retries and failures included; ``replies``: the chat replies among them.
    """

    rows: int = 0
    already_done: int = 0
    shared: int = 0
    stale: int = 0
    annotated: int = 0
    failed: int = 0
    correct_at: Counter = field(default_factory=Counter)
    never_correct: int = 0
    requests: int = 0
    replies: int = 0
    first_error: str = ""

    def text(self) -> str:
        attempts = ", ".join(f"{k} attempt(s): {v}" for k, v in sorted(self.correct_at.items()))
        lines = [
            f"rows {self.rows} = already done {self.already_done} + same content as an earlier row {self.shared}"
            f" + annotated now {self.annotated} + failed {self.failed}",
            f"this run: correct after {attempts or 'none'}; never correct: {self.never_correct};"
            f" requests: {self.requests} ({self.replies} answered)",
        ]
        if self.stale:
            lines.append(f"{self.stale} journal entries match no input row (rows changed since): ignored")
        if self.failed:
            lines.append(f"failed rows are not journaled: rerun the same command to retry them ({self.first_error})")
        return "\n".join(lines)


def journal_path(output: Path) -> Path:
    return output.with_name(output.name + ".annotations.jsonl")


def pending_tasks(path: Path, done: dict[str, int], summary: AnnotateSummary) -> Iterator[Task]:
    """Rows of an RL parquet whose content has no journal entry yet, read a batch at a time (counted in ``summary``)."""
    row, queued, matched = 0, set(), set()
    columns = ["prompt", "images", "reward_model"]
    for batch in pq.ParquetFile(path).iter_batches(batch_size=64, columns=columns):
        for record in batch.to_pylist():
            key = row_key(record)
            if key in done:
                summary.already_done += 1
                matched.add(key)
            elif key in queued:
                summary.shared += 1
            else:
                queued.add(key)
                images = [image["bytes"] for image in record["images"] or []]
                truth = int(record["reward_model"]["ground_truth"])
                yield Task(row, key, record["prompt"][-1]["content"], images, truth)
            row += 1
    summary.stale = len(done) - len(matched)


async def annotate_task(client: ChatClient, task: Task, max_attempts: int, summary: AnnotateSummary) -> Annotation:
    """Ask up to ``max_attempts`` times; keep the first reply whose well-formed choice is the ground truth."""
    content = chat_content(task.content, task.images)
    answers: list[int | None] = []
    for attempt in range(1, max_attempts + 1):
        reply = await client.complete(content)
        summary.replies += 1
        answers.append(reply_choice(reply))
        if answers[-1] == task.ground_truth:
            return Annotation(task.row, attempt, True, reply, answers, task.key)
    return Annotation(task.row, max_attempts, False, None, answers, task.key)


class Annotator:
    """A bounded pool of workers fed from a bounded queue, writing each finished row to the journal."""

    def __init__(self, endpoint: Endpoint, journal: Path, concurrency: int, max_attempts: int, bar: tqdm) -> None:
        self.endpoint, self.journal = endpoint, journal
        self.concurrency, self.max_attempts, self.bar = concurrency, max_attempts, bar
        self.summary = AnnotateSummary()

    async def worker(self, client: ChatClient, writer: JournalWriter, queue: asyncio.Queue) -> None:
        while (task := await queue.get()) is not None:
            try:
                annotation = await annotate_task(client, task, self.max_attempts, self.summary)
            except Exception as error:  # a row that fails is counted and retried on the next run
                self.summary.failed += 1
                self.summary.first_error = self.summary.first_error or f"row {task.row}: {self.redact(error)}"
                continue
            writer.add(annotation)
            self.record(annotation)

    def redact(self, error: Exception) -> str:
        """The error text with the API key blanked, in case a server echoes it back."""
        key = self.endpoint.api_key
        return str(error).replace(key, "***") if key else str(error)

    def record(self, annotation: Annotation) -> None:
        self.summary.annotated += 1
        if annotation.correct:
            self.summary.correct_at[annotation.attempts] += 1
        else:
            self.summary.never_correct += 1
        self.bar.update()

    async def run(self, tasks: Iterator[Task]) -> AnnotateSummary:
        """Annotate ``tasks`` (built with ``pending_tasks(..., self.summary)``) with ``concurrency`` workers."""
        client, writer = ChatClient(self.endpoint), JournalWriter(self.journal)
        queue: asyncio.Queue = asyncio.Queue(maxsize=2 * self.concurrency)

        async def produce() -> None:
            for task in tasks:
                await queue.put(task)
            for _ in range(self.concurrency):
                await queue.put(None)

        workers = [self.worker(client, writer, queue) for _ in range(self.concurrency)]
        try:  # gather fails fast if a worker dies (e.g. the disk is full) instead of blocking the producer
            await asyncio.gather(produce(), *workers)
        finally:
            self.summary.requests = client.requests
            await client.close()
            writer.close()
        return self.summary


def annotate(
    input_path: str | Path,
    output: str | Path,
    endpoint: Endpoint,
    concurrency: int = 8,
    max_attempts: int = MAX_ATTEMPTS,
    progress: bool = True,
) -> AnnotateSummary:
    """Annotate every row of an RL parquet not yet journaled, then write the SFT parquet of correct rows."""
    input_path, output = Path(input_path), Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    journal = journal_path(output)
    done = load_journal(journal)
    total = pq.ParquetFile(input_path).metadata.num_rows
    with tqdm(total=total, initial=min(len(done), total), desc="annotate", disable=not progress) as bar:
        annotator = Annotator(endpoint, journal, concurrency, max_attempts, bar)
        summary = asyncio.run(annotator.run(pending_tasks(input_path, done, annotator.summary)))
    summary.rows = total
    write_sft(input_path, journal, output)
    return summary
