"""Inputs a task was not made from: super-resolution trains on a mix of downscaling filters, and every task's
evaluation also measures inputs made by a filter held out of training."""

import pytest
import torch

import ganforge
from ganforge.config import Config, apply_overrides
from ganforge.data.images import to_unit_range
from ganforge.data.pairs import DOWNSCALE_FILTERS, downscale, downscale_mix, same_filter
from ganforge.errors import GanforgeError
from ganforge.resolve import resolve
from ganforge.tasks import TASKS
from ganforge.tasks.evaluation import evaluate_task
from ganforge.tasks.srgan import training_filters
from ganforge.trained import load

TINY = {"train.steps": 2, "train.batch_size": 4, "model.width": 4, "data.limit": 64, "train.log_every": 1}


def task_config(**overrides) -> Config:
    return resolve(apply_overrides(Config(), {**TINY, **overrides}))


def strokes(n: int = 6, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 256, (n, 1, 28, 28), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


def test_area_averages_blocks_nearest_keeps_one_pixel_and_every_filter_differs():
    images = strokes()
    area = downscale(images, 2, "area")
    blocks = images.float().unfold(2, 2, 2).unfold(3, 2, 2).mean((-1, -2))  # (N, 1, 14, 14, 2, 2) -> 2 x 2 means
    assert torch.equal(area, blocks.round().to(torch.uint8))
    assert downscale(images, 4, "nearest").shape == (6, 1, 7, 7)
    made = {name: downscale(images, 4, name) for name in DOWNSCALE_FILTERS}
    for first in DOWNSCALE_FILTERS:
        for second in DOWNSCALE_FILTERS:
            assert (first == second) == torch.equal(made[first], made[second]), (first, second)
    # At x2 bilinear sampling without antialiasing reads each block's centre: the block's average.
    assert torch.equal(downscale(images, 2, "bilinear"), area) and same_filter("bilinear", "area", 2)
    assert not same_filter("bilinear", "area", 4)


def test_the_mix_draws_one_filter_per_image_from_a_seeded_stream():
    images = strokes(60)
    filters = ("nearest", "bicubic", "bilinear-aa")
    lows, choice = downscale_mix(images, 2, filters, torch.Generator().manual_seed(0))
    for index, name in enumerate(filters):
        assert torch.equal(lows[choice == index], downscale(images[choice == index], 2, name))
    assert set(choice.tolist()) == {0, 1, 2}
    again, _ = downscale_mix(images, 2, filters, torch.Generator().manual_seed(0))
    other, _ = downscale_mix(images, 2, filters, torch.Generator().manual_seed(1))
    assert torch.equal(again, lows) and not torch.equal(other, lows)


def test_super_resolution_trains_on_every_filter_but_the_held_out_one():
    cfg = task_config(**{"task.name": "srgan", "data.name": "fashion-mnist", "task.scale": 2, "data.limit": 300})
    data = TASKS["srgan"].load_data(cfg, "cpu")
    made_by = {name: downscale(data.targets, 2, name) for name in DOWNSCALE_FILTERS}
    matches = {name: (made == data.sources).flatten(1).all(1) for name, made in made_by.items()}
    training = [name for name in DOWNSCALE_FILTERS if name not in ("area", "bilinear")]  # at x2 the same images
    assert ",".join(training_filters(cfg)) == ",".join(training)
    # Each training filter made some image that no other filter would have made.
    for name in training:
        alone = matches[name] & ~torch.stack([matches[other] for other in training if other != name]).any(0)
        assert alone.any(), name
    assert torch.stack([matches[name] for name in training]).any(0).all()  # every input came from the mix


def test_task_filters_narrows_the_mix():
    cfg = task_config(**{"task.name": "srgan", "task.filters": "bicubic, nearest", "task.scale": 2})
    data = TASKS["srgan"].load_data(cfg, "cpu")
    bicubic = (downscale(data.targets, 2, "bicubic") == data.sources).flatten(1).all(1)
    nearest = (downscale(data.targets, 2, "nearest") == data.sources).flatten(1).all(1)
    assert (bicubic | nearest).all() and bicubic.any() and nearest.any()
    assert cfg.task.filters == "bicubic,nearest"


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"task.name": "srgan", "task.filters": "area,bicubic"}, "leave out task.held_out_filter=area"),
        ({"task.name": "srgan", "task.filters": "bilinear", "task.scale": 2}, "bilinear makes the same images at x2"),
        ({"task.name": "srgan", "task.filters": "lanczos"}, "unknown downscaling filter 'lanczos'"),
        ({"task.name": "srgan", "task.held_out_filter": "box"}, "task.held_out_filter"),
        ({"task.name": "pix2pix", "task.filters": "bicubic"}, "not of pix2pix"),
    ],
)
def test_filter_settings_that_cannot_work_are_one_clear_error(overrides, words):
    with pytest.raises(GanforgeError, match=words):
        task_config(**overrides)


@pytest.mark.parametrize(
    ("task", "dataset", "metric"),
    [("srgan", "mnist", "psnr"), ("pix2pix", "edges2fashion", "l1"), ("inpaint", "mnist", "psnr_hole")],
)
def test_evaluation_reports_the_held_out_filters_figures(tmp_path, task, dataset, metric):
    cfg = apply_overrides(Config(), {**TINY, "task.name": task, "data.name": dataset, "out": str(tmp_path / "r")})
    trained = load(ganforge.train(cfg), device="cpu")
    result = evaluate_task(TASKS[task], trained, 40, "test", 40)
    assert result["held_out_filter"] == "area"
    values = result["metrics"]
    assert f"held_out/{metric}" in values and values[f"held_out/{metric}"] != values[metric]
    if task == "srgan":  # beside its baseline, on the same held-out inputs
        assert "held_out/psnr_bicubic" in values and values["held_out/psnr_bicubic"] != values["psnr_bicubic"]


def test_super_resolutions_held_out_inputs_are_made_by_the_held_out_filter():
    cfg = task_config(**{"task.name": "srgan", "task.held_out_filter": "bicubic-aa"})
    task = TASKS["srgan"]
    examples = task.load_data(cfg, "cpu").examples(8)
    held_out = task.held_out(cfg, examples)
    pixels = ((examples.target + 1) * 127.5).round().to(torch.uint8)
    assert torch.equal(held_out.source, to_unit_range(downscale(pixels, 4, "bicubic-aa")))
    assert torch.equal(held_out.target, examples.target)
