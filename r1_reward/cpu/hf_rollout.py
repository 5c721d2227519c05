"""The ``hf`` rollout for verl 0.9.1: a transformers generation server behind verl's rollout-replica interface.

verl 0.9 ships only server rollouts (vLLM, SGLang, TensorRT-LLM), none of which runs on a CPU. This module plugs a
plain-transformers server into the same places, through verl's registries:

- ``HFReplica`` (``RolloutReplicaRegistry`` name ``hf``, registered by ``r1_reward.cpu.platform``) starts one
  ``HFServer`` Ray actor per replica, for the policy rollout (hybrid mode) and for a verl-managed judge
  (``reward.reward_model`` with ``rollout.name=hf``).
- ``HFServer`` answers verl's token-in/token-out ``generate`` (images in, token ids + log-probs out) and, over
  HTTP on 127.0.0.1, OpenAI-style ``/v1/chat/completions`` for reward managers that call the judge.
- ``HFServerAdapter`` (verl's server-adapter table, ``verl/workers/rollout/base.py`` ``_ROLLOUT_REGISTRY``) lives in
  the trainer worker and pushes the trainer's weights into the server after every update.

The method names follow verl 0.9.1's ``vLLMHttpServer`` / ``vLLMReplica`` / ``ServerAdapter``, which change between
verl releases: verl is pinned exactly and ``tests/cpu/test_cpu_e2e.py`` runs the real trainer with this rollout.
"""

import asyncio
import os

import ray
import torch
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
from verl.workers.rollout.base import BaseRollout
from verl.workers.rollout.replica import RolloutReplica, TokenOutput

from r1_reward.cpu.chat_server import serve
from r1_reward.cpu.hf_engine import HFEngine, Request

# How long the server waits for more concurrent requests before generating a batch.
BATCH_WINDOW_S = 0.02


def server_actor_name(replica_rank: int, is_reward_model: bool, suffix: str = "") -> str:
    """Ray actor name of a replica's server (the adapter finds its server by this name)."""
    role = "reward_" if is_reward_model else ""
    return f"hf_server_{role}{replica_rank}{suffix}"


class HFServer:
    """Ray actor: an ``HFEngine`` serving batched ``generate`` calls, weight updates and a chat HTTP endpoint."""

    def __init__(self, model_path: str, rollout_config, replica_rank: int = 0):
        from r1_reward import qwen_vl

        qwen_vl.enable()
        torch.set_num_threads(1)  # several small actors share a few cores; one thread each is fastest
        self.config = rollout_config
        self.engine = HFEngine(model_path, seed=getattr(rollout_config, "seed", 0) + replica_rank)
        self.global_steps = None
        self._pending: list[tuple[Request, asyncio.Future]] = []
        self._batcher: asyncio.Task | None = None
        self._lock = asyncio.Lock()
        self._address: tuple[str, int] | None = None

    async def start_http(self) -> tuple[str, int]:
        """Serve ``/v1/chat/completions`` on 127.0.0.1 (a free port); returns (host, port)."""
        if self._address is None:
            self._address = await serve(self)
        return self._address

    async def generate(
        self, prompt_ids: list[int], sampling_params: dict, request_id: str, image_data=None, video_data=None,
        audio_data=None, mm_processor_kwargs=None, **_unused,
    ) -> TokenOutput:  # fmt: skip
        """verl's token-in/token-out call: one response for ``prompt_ids`` (and its images)."""
        if video_data or audio_data:
            raise ValueError("the hf rollout takes images only: drop videos/audio or use rollout.name=vllm")
        budget = self.config.prompt_length + self.config.response_length - len(prompt_ids)
        max_tokens = sampling_params.get("max_tokens") or min(self.config.response_length, budget)
        request = Request(
            list(prompt_ids), max(1, int(max_tokens)), float(sampling_params.get("temperature", 1.0)),
            float(sampling_params.get("top_p", 1.0)), int(sampling_params.get("top_k", -1)), list(image_data or []),
        )  # fmt: skip
        result = await self.submit(request)
        return TokenOutput(
            token_ids=result.token_ids, log_probs=result.log_probs, stop_reason="completed",
            extra_fields={"global_steps": self.global_steps},
        )  # fmt: skip

    async def submit(self, request: Request):
        """Queue a request; requests arriving within ``BATCH_WINDOW_S`` are generated as one batch."""
        future = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if self._batcher is None or self._batcher.done():
            self._batcher = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            await asyncio.sleep(BATCH_WINDOW_S)
            batch, self._pending = self._pending, []
            groups: dict[tuple, list] = {}
            for request, future in batch:
                groups.setdefault(request.sampling_key(), []).append((request, future))
            for group in groups.values():
                await self._run(group)

    async def _run(self, group: list) -> None:
        async with self._lock:
            try:
                results = await asyncio.to_thread(self.engine.generate, [request for request, _ in group])
            except Exception as error:  # each waiting caller gets the failure, none hangs
                for _, future in group:
                    future.set_exception(error)
                return
        for (_, future), result in zip(group, results, strict=True):
            future.set_result(result)

    async def update_weights(self, weights: dict[str, torch.Tensor], global_steps: int | None = None) -> int:
        """Load the trainer's weights (by HF parameter name)."""
        async with self._lock:
            loaded = self.engine.load_weights(weights)
        if global_steps is not None:
            self.global_steps = global_steps
        return loaded

    async def set_global_steps(self, global_steps: int) -> None:
        self.global_steps = global_steps

    async def get_server_address(self) -> tuple[str, int]:
        return await self.start_http()

    # verl's replica calls these around training phases; a CPU model keeps its memory, so they are no-ops.
    async def wake_up(self, tags: list[str] | None = None) -> None: ...
    async def sleep(self) -> None: ...
    async def clear_kv_cache(self) -> None: ...
    async def release_kv_cache(self) -> None: ...
    async def resume_kv_cache(self) -> None: ...
    async def resume_generation(self) -> None: ...
    async def wait_for_requests_to_drain(self) -> None: ...
    async def start_profile(self, **kwargs) -> None: ...
    async def stop_profile(self) -> None: ...

    async def abort_all_requests(self, reset_prefix_cache: bool = True, reject_request: bool = False) -> dict:
        return {"aborted_count": 0, "request_ids": []}


class HFReplica(RolloutReplica):
    """verl rollout replica backed by one ``HFServer`` actor (any mode: hybrid, colocated, standalone)."""

    async def launch_servers(self) -> None:
        name = server_actor_name(self.replica_rank, self.is_reward_model, self.name_suffix)
        # verl passes an HFModelConfig (judge) or the plain model DictConfig (policy, hybrid mode).
        model_path = getattr(self.model_config, "local_path", None) or self.model_config.path
        # On the node of the replica's workers (its resource pool), as verl's vLLM replica places its server.
        node_id = await self.workers[0].__ray_call__.remote(lambda worker: ray.get_runtime_context().get_node_id())
        server = (
            ray.remote(HFServer)
            .options(
                name=name,
                num_cpus=0,
                max_concurrency=self.max_concurrency,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node_id, soft=False),
            )
            .remote(model_path, self.config, self.replica_rank)
        )
        host, port = await server.start_http.remote()
        self.servers = [server]
        self._server_handle = server
        self._server_address = f"{host}:{port}"


class HFServerAdapter(BaseRollout):
    """Trainer-side handle of the ``hf`` server: forwards weight updates (the server keeps its memory)."""

    def __init__(self, config, model_config, device_mesh, replica_rank: int = -1):
        super().__init__(config, model_config, device_mesh)
        rank = int(os.environ.get("RANK", 0))
        world = self.config.tensor_model_parallel_size * self.config.data_parallel_size
        world *= self.config.pipeline_model_parallel_size
        self.replica_rank = rank // world if replica_rank == -1 else replica_rank
        self.is_leader_rank = rank % world == 0
        self._server = None

    def _server_handle(self):
        if self._server is None:
            self._server = ray.get_actor(server_actor_name(self.replica_rank, is_reward_model=False))
        return self._server

    async def update_weights(self, weights, global_steps: int | None = None, wire_format="named_tensors", **kwargs):
        """Gather the named tensors (every rank iterates: FSDP gathers collectively) and send them from the leader."""
        if wire_format != "named_tensors":
            raise ValueError(f"hf rollout got {wire_format!r} weights: set rollout.checkpoint_engine.backend=naive")
        state = {name: tensor.detach().to("cpu", copy=True) for name, tensor in weights}
        if self.is_leader_rank:
            await self._server_handle().update_weights.remote(state, global_steps)

    async def resume(self, tags: list[str]) -> None: ...

    async def release(self) -> None: ...
