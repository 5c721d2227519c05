"""Where the Hugging Face model inside a training run's output is, so every stage reads the last one's as saved.

``--model`` may name an HF model folder itself, or what a run saved: verl's RL checkpoint of a step
(``global_step_N/actor/huggingface``, the export ``actor.checkpoint.save_contents`` adds, on by default in
conf/r1_reward.yaml), verl's SFT checkpoint of a step (``global_step_N/huggingface``), or a run's ``checkpoints/``
folder (its latest step, from verl's ``latest_checkpointed_iteration.txt``).
"""

from pathlib import Path

# verl 0.9.1's layout, relative to a step folder: RL actor export, SFT export.
EXPORTS = ("actor/huggingface", "huggingface")
LATEST = "latest_checkpointed_iteration.txt"


def hf_model_folder(path: str | Path) -> Path:
    """The HF model folder ``path`` names or holds; FileNotFoundError naming what was looked for."""
    path = Path(path)
    if (path / LATEST).is_file():
        path = path / f"global_step_{(path / LATEST).read_text().strip()}"
    for candidate in (path, *(path / export for export in EXPORTS)):
        if (candidate / "config.json").is_file():
            return candidate
    raise FileNotFoundError(
        f"--model {path}: no Hugging Face model there (config.json), nor in {', '.join(EXPORTS)} below it. An RL "
        "checkpoint holds one when actor.checkpoint.save_contents includes hf_model (conf/r1_reward.yaml's default); "
        "nothing is downloaded"
    )
