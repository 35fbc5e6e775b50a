"""--task and the task presets: the papers' defaults, and one clear line for every setting that cannot work."""

import pytest

from ganforge.config import Config, apply_overrides
from ganforge.errors import GanforgeError
from ganforge.resolve import resolve


def task_config(**overrides):
    return resolve(apply_overrides(Config(), overrides))


def test_task_brings_its_preset_with_the_papers_weights():
    cfg = task_config(**{"task.name": "pix2pix"})
    assert cfg.preset == "pix2pix" and cfg.model.name == "unet" and cfg.data.name == "edges2fashion"
    assert cfg.task.l1_weight == 100 and cfg.optim.lr_g == 2e-4 and cfg.optim.betas == [0.5, 0.999]
    cyclegan = task_config(**{"task.name": "cyclegan"})
    assert (cyclegan.train.loss, cyclegan.task.cycle_weight, cyclegan.task.identity_weight) == ("lsgan", 10, 5)
    srgan = task_config(**{"task.name": "srgan"})
    assert (srgan.task.scale, srgan.task.adversarial_weight, srgan.optim.betas) == (4, 1e-3, [0.9, 0.999])
    inpaint = task_config(**{"task.name": "inpaint"})
    assert (inpaint.task.rec_weight, inpaint.task.adversarial_weight, inpaint.task.mask) == (0.999, 1e-3, "center")


def test_the_preset_names_the_task_and_flags_still_win():
    cfg = task_config(preset="discogan", **{"task.cycle_weight": 3.0})
    assert cfg.task.name == "cyclegan" and cfg.train.loss == "non-saturating" and cfg.task.identity_weight == 0
    assert cfg.task.cycle_weight == 3.0
    assert task_config(**{"task.name": "srgan", "task.scale": 2, "data.name": "mnist"}).task.scale == 2


def test_a_task_run_config_round_trips_through_yaml():
    cfg = task_config(**{"task.name": "inpaint", "task.mask": "boxes"})
    again = resolve(Config.from_dict(__import__("yaml").safe_load(cfg.to_yaml())))
    assert again.to_dict() == cfg.to_dict()


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"task.name": "pix2px"}, "did you mean 'pix2pix'"),
        ({"task.name": "pix2pix", "data.name": "fashion-mnist"}, "edges2fashion"),
        ({"task.name": "cyclegan", "data.name": "edges2fashion"}, "mnist2thick"),
        ({"task.name": "srgan", "data.name": "ring"}, "does not fit --task srgan"),
        ({"task.name": "srgan", "task.scale": 3}, "task.scale"),
        ({"task.name": "inpaint", "task.mask": "circle"}, "task.mask"),
        ({"task.name": "inpaint", "task.hole": 1.5}, "task.hole"),
        ({"task.name": "pix2pix", "task.l1_weight": -1}, "task.l1_weight"),
        ({"task.name": "pix2pix", "train.loss": "wgan-gp"}, "--loss"),
        ({"task.name": "pix2pix", "model.name": "dcgan"}, "leave --model out"),
        ({"task.name": "srgan", "train.eval_every": 100, "train.eval_metrics": "fid"}, "train.eval_metrics"),
        ({"task.name": "srgan", "train.health_every": 100}, "train.health_every"),
    ],
)
def test_settings_that_cannot_work_fail_before_any_work(overrides, words):
    with pytest.raises(GanforgeError, match=words.replace("(", r"\(").replace(")", r"\)")):
        task_config(**overrides)


def test_generation_runs_are_unchanged_by_the_task_section():
    cfg = task_config()
    assert cfg.task.name is None and cfg.model.name == "mlp" and cfg.preset is None


def test_cyclegan_trains_a_resnet_or_a_unet_and_no_other_network():
    assert task_config(**{"task.name": "cyclegan"}).model.name == "resnet"
    assert task_config(**{"task.name": "cyclegan", "model.name": "unet"}).model.name == "unet"
    with pytest.raises(GanforgeError, match="'resnet' or 'unet'"):
        task_config(**{"task.name": "cyclegan", "model.name": "srresnet"})
