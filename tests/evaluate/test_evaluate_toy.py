"""Issue #23: the toy benchmark's pictures are cached by content, so a replaced parquet never shows an old picture
beside a new question, and the resume check (which hashes media paths) covers the pictures; a file that is not a
toy parquet is refused naming the file."""

import pandas as pd
import pytest

from r1_reward.data import toy
from r1_reward.data.toy_controls import control_frame
from r1_reward.evaluate import load_benchmark
from r1_reward.evaluate.items import InputError
from r1_reward.evaluate.predictions import fingerprint


def pictures(path) -> list[bytes]:
    return [images[0]["bytes"] for images in pd.read_parquet(path)["images"]]


def test_a_replaced_parquet_never_reuses_the_old_pictures(tmp_path):
    # before: <stem>_images/N.png was written only if missing, so items of the new parquet showed the old pictures
    test = toy.write(tmp_path / "a", n_train=2, n_test=6, seed=0)["test"]
    first = load_benchmark("toy", test)
    assert [open(item.media[0], "rb").read() for item in first] == pictures(test)
    replacement = toy.write(tmp_path / "b", n_train=2, n_test=6, seed=1)["test"]
    test.write_bytes(replacement.read_bytes())  # the same path, another seed
    second = load_benchmark("toy", test)
    assert [open(item.media[0], "rb").read() for item in second] == pictures(replacement)


def test_the_resume_fingerprint_changes_with_the_pictures_alone(tmp_path):
    # the same questions and answers with the pictures dealt out again (the shuffled-images control), written over the
    # same path: before, the item paths (<stem>_images/N.png) stayed the same, so the resume check could not tell
    test = toy.write(tmp_path, n_train=2, n_test=6, seed=0)["test"]
    original = load_benchmark("toy", test)
    control_frame(pd.read_parquet(test), "shuffled_images", seed=0).to_parquet(test)
    reshuffled = load_benchmark("toy", test)
    assert [i.prompt for i in original] == [i.prompt for i in reshuffled]
    assert fingerprint(original) != fingerprint(reshuffled)


def test_a_parquet_without_the_toy_columns_is_refused_naming_it(tmp_path):
    path = tmp_path / "other.parquet"
    pd.DataFrame({"question": ["q"], "answer": ["a"]}).to_parquet(path)
    with pytest.raises(InputError, match=r"other\.parquet has no column 'extra_info', 'images'"):
        load_benchmark("toy", path)
