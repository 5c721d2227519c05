"""The transformers judge with the tiny random Qwen2.5-VL on toy items: k = 1 and k = 5 run and are well formed."""

import json

import pytest
import torch

from r1_reward.cpu import tiny_model
from r1_reward.data import toy
from r1_reward.evaluate import evaluate, load_benchmark
from r1_reward.evaluate.items import InputError
from r1_reward.evaluate.models.hf import TransformersModel


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    model = tiny_model.build(root / "model")["vl"]
    data = toy.write(root / "toy", n_train=2, n_test=4)["test"]
    return model, data, root


@pytest.mark.parametrize("k", [1, 5])
def test_runs_and_writes_well_formed_predictions(setup, k):
    model, data, root = setup
    out = root / f"k{k}.json"
    judge = TransformersModel(model, max_new_tokens=12)
    metrics = evaluate(load_benchmark("toy", data), judge, benchmark="toy", out=out, samples=k, batch_size=4)
    records = [json.loads(line) for line in out.with_name(out.stem + ".predictions.jsonl").read_text().splitlines()[1:]]
    assert len(records) == 8  # 4 items x 2 slots
    assert all(len(r["samples"]) == k and all("text" in s for s in r["samples"]) for r in records)
    answers = [s.get("answer") for r in records for s in r["samples"]]
    assert set(answers) <= {"1", "2", None}
    # a random model rarely writes the format: whatever it wrote is counted, and unparseable samples score wrong
    assert metrics["unparseable_samples"] == answers.count(None)
    assert metrics["overall_acc"] <= 1 - metrics["unparseable_verdicts"] / 8
    assert ("scaling" in metrics) == (k > 1)


def test_answer_token_probability_is_read_at_the_verdict(setup):
    model, _, _ = setup
    judge = TransformersModel(model)
    tokenizer = judge.processor.tokenizer
    ids = tokenizer.encode("<think>red</think><answer>2</answer>", add_special_tokens=False)
    digit = next(i for i, t in enumerate(tokenizer.convert_ids_to_tokens(ids)) if t == "2")
    logits = torch.randn(len(ids), len(tokenizer))
    sample = judge._sample(ids, logits)
    assert sample.answer == "2"
    assert sample.prob == pytest.approx(torch.softmax(logits[digit], dim=-1)[ids[digit]].item())


def test_missing_image_is_skipped_or_stops_strict_naming_the_file(setup, tmp_path):
    model, _, _ = setup
    data = tmp_path / "vl.jsonl"
    row = {"id": "x", "prompt": "p", "chosen": "c", "rejected": "r", "image": "nope/0.jpg"}
    data.write_text(json.dumps(row) + "\n")
    judge = TransformersModel(model, media_root=tmp_path)
    items = load_benchmark("vl_rewardbench", data)
    with pytest.raises(InputError, match=r"nope/0\.jpg does not exist.*--media-root"):
        evaluate(items, judge, benchmark="vl_rewardbench", out=tmp_path / "strict.json", strict=True)
    metrics = evaluate(items, judge, benchmark="vl_rewardbench", out=tmp_path / "o.json")
    assert (metrics["n_presentations"], metrics["skipped_reasons"]) == (0, {"missing media": 2})


def test_image_damaged_mid_run_is_skipped_and_the_rest_of_its_batch_judged(setup, tmp_path):
    # issue #23: an image that became unreadable after the up-front check crashed the run (UnidentifiedImageError)
    model, data, _ = setup
    copy = tmp_path / "test.parquet"  # its own picture folder: the module's toy files stay whole for other tests
    copy.write_bytes(data.read_bytes())
    items = load_benchmark("toy", copy)
    real = TransformersModel(model, max_new_tokens=4)

    class DamagesItem3AfterTheFirstBatch:
        name, needs_media, media_root, batches = real.name, True, None, 0

        def judge(self, batch, k):
            self.batches += 1
            if self.batches == 2:
                with open(items[3].media[0], "wb") as handle:
                    handle.write(b"not a png any more")
            return real.judge(batch, k)

        def close(self):
            pass

    metrics = evaluate(items, DamagesItem3AfterTheFirstBatch(), benchmark="toy", out=tmp_path / "o.json", batch_size=4)
    assert (metrics["n_presentations"], metrics["skipped_reasons"]) == (6, {"corrupt media": 2})
