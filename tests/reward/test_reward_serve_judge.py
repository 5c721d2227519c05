"""launch/serve_judge.sh: parameters, "$@" pass-through, API key via env only (a stand-in `vllm` records its call)."""

import os
import stat
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "launch" / "serve_judge.sh"


def fake_vllm(tmp_path: Path) -> Path:
    binary = tmp_path / "vllm"
    binary.write_text(
        '#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$ARGS_FILE"\nprintf "%s" "${VLLM_API_KEY:-}" > "$KEY_FILE"\n'
    )
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    return binary


def test_serve_judge_passes_settings_and_extra_flags(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "VLLM_BIN": str(fake_vllm(tmp_path)),
        "ARGS_FILE": str(tmp_path / "args"),
        "KEY_FILE": str(tmp_path / "key"),
        "MODEL": "/models/judge",
        "PORT": "8123",
        "R1_JUDGE_API_KEY": "sk-x",
    }
    subprocess.run(["bash", str(SCRIPT), "--max-num-seqs", "7"], env=env, check=True, capture_output=True)
    args = (tmp_path / "args").read_text().split("\n")
    assert args[:2] == ["serve", "/models/judge"]
    assert args[args.index("--port") + 1] == "8123"
    assert args[args.index("--served-model-name") + 1] == "/models/judge"
    assert args[-3:-1] == ["--max-num-seqs", "7"]  # "$@" comes last, so it overrides the defaults
    assert "sk-x" not in args and (tmp_path / "key").read_text() == "sk-x"


def test_serve_judge_without_vllm_names_the_fix(tmp_path: Path) -> None:
    env = {**os.environ, "VLLM_BIN": str(tmp_path / "missing")}
    run = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True)
    assert run.returncode == 1 and "pip install -e '.[gpu]'" in run.stderr
