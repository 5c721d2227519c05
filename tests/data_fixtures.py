"""Fixtures for the data tests (and the CPU SFT test): tiny images on disk and hand-written rows in each published
source schema. Loaded for every test folder by ``pytest_plugins`` in tests/conftest.py."""

import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image


def png_bytes(color: tuple[int, int, int], size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def converted(folder: Path, image_root: Path, rows: list) -> list[dict]:
    """Pairwise ``rows`` written to ``folder/p.jsonl`` and converted to ``folder/rl.parquet``; its records."""
    import pyarrow.parquet as pq

    from r1_reward.data import Source, convert

    source = write_jsonl(folder / "p.jsonl", rows)
    convert([Source("pairwise", source)], folder / "rl.parquet", image_root, progress=False)
    return pq.read_table(folder / "rl.parquet").to_pylist()


@pytest.fixture
def image_root(tmp_path: Path) -> Path:
    """A directory with red.png, blue.png and a corrupt broken.png."""
    root = tmp_path / "images"
    root.mkdir()
    (root / "red.png").write_bytes(png_bytes((255, 0, 0)))
    (root / "blue.png").write_bytes(png_bytes((0, 0, 255)))
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nthis is not an image")
    return root


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


# One hand-written row per source format, following each release's published schema.

AUTHORS_TEXT = (
    "You are a highly skilled and impartial evaluator tasked with comparing two responses ... "
    "###### **Input:**  \n###### [Question]:\nWhat colour is the square?  \n\n"
    "###### [Response 1]:\nThe square is blue.  \n\n"
    "###### [Response 2]:\nThe square is red.  \n\n"
    "###### **Output Format (strictly follow):**  \n<think>Your detailed comparative analysis goes here</think>"
    "<answer>1/2</answer>"
)


def r1_reward_rl(answer: str = "<answer>2</answer>", image: str = "red.png") -> dict:
    """An R1-Reward-RL row: the prompt inside a JSON-encoded chat, the preferred index in ``answer``."""
    content = [{"type": "text", "text": AUTHORS_TEXT}, {"type": "image", "image": image}]
    message = json.dumps([{"role": "user", "content": content}])
    return {"message": message, "question": "What colour is the square?", "answer": [answer]}


def pairwise(**overrides: object) -> dict:
    row = {
        "id": "rlaif-7",
        "question": "What colour is the square?",
        "chosen": "It is red.",
        "rejected": "It is green.",
        "image": "red.png",
    }
    return {**row, **overrides}


def rating(value: str) -> dict:
    return {"Rating": value, "Rationale": "…"}


def vlfeedback(ratings: tuple[str, str, str] = ("3", "5", "1")) -> dict:
    """A VLFeedback row: completions rated on three aspects (here all aspects share one rating)."""
    completions = [
        {
            "model": f"m{i}",
            "response": f"answer number {i}",
            "annotations": {
                "Helpfulness": rating(r),
                "Visual Faithfulness": rating(r),
                "Ethical Considerations": rating("N/A"),
            },
        }
        for i, r in enumerate(ratings)
    ]
    return {
        "id": "vlf-1",
        "prompt": "Describe the picture.",
        "img_path": "blue.png",
        "models": [c["model"] for c in completions],
        "completions": completions,
    }


def povid() -> dict:
    return {
        "id": "povid-3",
        "image": "red.png",
        "conversations": [
            {"from": "human", "value": "<image>\nWhat is shown?"},
            {"from": "gpt", "value": "A red square."},
        ],
        "rejected_conversations": [
            {"from": "human", "value": "<image>\nWhat is shown?"},
            {"from": "gpt", "value": "A red square next to a cat."},
        ],
    }


def wildvision(winner: str = "model_b") -> dict:
    return {
        "question_id": "wv-9",
        "model_a": "model-x",
        "model_b": "model-y",
        "conversation_a": [
            {"role": "user", "content": "Which colour dominates?"},
            {"role": "assistant", "content": "Green dominates."},
        ],
        "conversation_b": [
            {"role": "user", "content": "Which colour dominates?"},
            {"role": "assistant", "content": "Blue dominates."},
        ],
        "winner": winner,
        "image": "blue.png",
    }


@pytest.fixture
def samples() -> SimpleNamespace:
    """The row builders above, for tests (test modules cannot import conftest)."""
    return SimpleNamespace(
        r1_reward_rl=r1_reward_rl,
        pairwise=pairwise,
        vlfeedback=vlfeedback,
        povid=povid,
        wildvision=wildvision,
        write_jsonl=write_jsonl,
        converted=converted,
        png_bytes=png_bytes,
    )
