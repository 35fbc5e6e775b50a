"""A task run resumes bit for bit: the random holes and pairs come from the checkpointed data stream."""

import torch

import ganforge
from ganforge.config import Config, apply_overrides
from ganforge.run import RunDir

TINY = {"train.batch_size": 4, "model.width": 4, "data.limit": 64, "train.log_every": 1, "data.name": "mnist"}


def test_an_interrupted_inpainting_run_with_random_boxes_resumes_to_the_same_weights(tmp_path):
    task = {"task.name": "inpaint", "task.mask": "boxes", "train.checkpoint_every": 2, "train.sample_every": 2}
    straight = ganforge.train(apply_overrides(Config(), {**TINY, **task, "train.steps": 4, "out": str(tmp_path / "a")}))
    halfway = ganforge.train(apply_overrides(Config(), {**TINY, **task, "train.steps": 2, "out": str(tmp_path / "b")}))
    resumed = ganforge.resume(halfway, steps=4)
    _, first, _ = RunDir.open(straight).load_latest()
    _, second, _ = RunDir.open(resumed).load_latest()
    weights = [name for name in first if name.startswith(("G.", "D."))]
    assert weights and all(torch.equal(first[name], second[name]) for name in weights)
