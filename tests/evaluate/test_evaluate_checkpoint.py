"""--model takes what a training run saved: an HF folder, verl's RL or SFT step folder, or a run's checkpoints/."""

import pytest

from r1_reward.evaluate.models.checkpoint import hf_model_folder


def hf(folder):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    return folder


@pytest.mark.parametrize(
    ("layout", "given"),
    [
        ("model", "model"),  # an HF folder itself
        ("ckpt/global_step_4/actor/huggingface", "ckpt/global_step_4"),  # verl RL step (actor export)
        ("sft/global_step_9/huggingface", "sft/global_step_9"),  # verl SFT step
    ],
)
def test_each_saved_layout_resolves_to_its_hf_folder(tmp_path, layout, given):
    expected = hf(tmp_path / layout)
    assert hf_model_folder(tmp_path / given) == expected


def test_a_runs_checkpoints_folder_means_its_latest_step(tmp_path):
    hf(tmp_path / "checkpoints/global_step_2/actor/huggingface")
    latest = hf(tmp_path / "checkpoints/global_step_6/actor/huggingface")
    (tmp_path / "checkpoints/latest_checkpointed_iteration.txt").write_text("6\n")
    assert hf_model_folder(tmp_path / "checkpoints") == latest


def test_a_checkpoint_without_an_export_names_the_setting(tmp_path):
    (tmp_path / "global_step_1/actor").mkdir(parents=True)  # model/optimizer shards only
    with pytest.raises(FileNotFoundError, match="save_contents includes hf_model"):
        hf_model_folder(tmp_path / "global_step_1")
