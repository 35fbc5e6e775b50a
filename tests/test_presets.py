from pathlib import Path

import pytest
import yaml

import ganforge
from ganforge.cli import main
from ganforge.config import Config, apply_overrides
from ganforge.errors import GanforgeError
from ganforge.presets import PRESETS
from ganforge.resolve import resolve

FASHION = Path("/usr/share/datasets/fashion-mnist")
FAST = {"train.steps": 2, "train.batch_size": 16, "train.sample_every": 100, "train.log_every": 1}
# presets of generation from noise; the image-to-image task presets train in tests/tasks
GENERATION = sorted(name for name, preset in PRESETS.items() if "task.name" not in preset.overrides)


def test_every_preset_names_its_paper_and_resolves():
    for name, preset in PRESETS.items():
        assert "(20" in preset.citation and preset.description and preset.overrides, name
        cfg = resolve(Config(preset=name))
        assert cfg.preset == name
        for key, value in preset.overrides.items():
            section, field = key.split(".")
            assert getattr(getattr(cfg, section), field) == value, (name, key)


# Conditional and InfoGAN presets need labelled images: on the grid they are an error (tests/test_conditional.py)
POINT_PRESETS = sorted(
    name for name in GENERATION if not {"model.condition", "model.info_categorical"} & PRESETS[name].overrides.keys()
)


@pytest.mark.parametrize("name", POINT_PRESETS)
def test_every_preset_trains_a_few_steps_on_the_grid(tmp_path, name):
    overrides = {"preset": name, "data.name": "grid", "model.name": "mlp", "model.z_dim": 2, **FAST}
    run = ganforge.train(apply_overrides(Config(), {**overrides, "out": str(tmp_path / name)}))
    assert ganforge.load(run).sample(8).shape == (8, 2)
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["preset"] == name  # the run folder records its preset


@pytest.mark.skipif(not FASHION.is_dir(), reason=f"Fashion-MNIST is not installed at {FASHION}")
@pytest.mark.parametrize("name", GENERATION)
def test_every_preset_trains_a_few_steps_on_fashion_mnist(tmp_path, name):
    overrides = {"preset": name, "data.name": "fashion-mnist", "data.split": "test", "model.width": 8, **FAST}
    run = ganforge.train(apply_overrides(Config(), {**overrides, "out": str(tmp_path / name)}))
    assert ganforge.load(run).sample(4).shape == (4, 1, 28, 28)


def test_config_file_and_flags_win_over_the_preset_even_at_default_values(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("preset: wgan\noptim:\n  lr_d: 3.0e-4\ntrain:\n  batch_size: 128\n")
    cfg = resolve(apply_overrides(Config.load(path), {"train.d_steps": 1}))  # 1 and 128 are the built-in defaults
    assert (cfg.optim.lr_d, cfg.train.batch_size, cfg.train.d_steps) == (3e-4, 128, 1)  # file and flag win
    assert (cfg.optim.name, cfg.optim.lr_g, cfg.train.weight_clip) == (
        "rmsprop",
        5e-5,
        0.01,
    )  # the preset fills the rest


def test_a_python_config_keeps_the_values_it_changed():
    cfg = Config(preset="wgan-gp")
    cfg.train.d_steps = 2  # differs from the dataclass default: the user's choice
    cfg.model.name = "mlp"  # equal to the default: indistinguishable from unset, so the preset fills it
    assert (resolve(cfg).train.d_steps, resolve(cfg).model.name) == (2, "dcgan")
    resolved = resolve(apply_overrides(cfg, {"model.name": "mlp"}))  # through apply_overrides it is explicit
    assert (resolved.train.d_steps, resolved.model.name) == (2, "mlp")
    assert (resolved.optim.lr_g, resolved.optim.betas, resolved.model.d_norm) == (1e-4, [0.0, 0.9], "none")


def test_a_saved_config_is_not_changed_by_its_preset_again(tmp_path):
    first = resolve(apply_overrides(Config(), {"preset": "wgan", "train.d_steps": 1, "data.name": "grid"}))
    path = tmp_path / "config.yaml"
    path.write_text(first.to_yaml())
    assert resolve(Config.load(path)) == first


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"preset": "wgan-pg"}, ["unknown preset 'wgan-pg'", "did you mean 'wgan-gp'"]),
        ({"train.loss": "wgan-gp", "model.name": "dcgan"}, ["wgan-gp", "batch norm", "model.d_norm"]),
        ({"preset": "wgan-gp", "model.d_norm": "batch"}, ["wgan-gp", "batch norm"]),
        ({"train.loss": "wgan", "train.gp_lambda": 10}, ["gp_lambda", "clips weights", "wgan-gp"]),
        ({"preset": "wgan", "train.loss": "wgan-gp"}, ["weight_clip", "gradient penalty"]),
        ({"train.loss": "hinge", "train.weight_clip": 0.01}, ["weight_clip", "only --loss wgan"]),
        ({"model.name": "mlp", "model.d_norm": "batch"}, ["D normalisation", "mlp", "'batch'"]),
        ({"model.name": "dcgan", "model.d_norm": "layer"}, ["D normalisation", "layer"]),
        ({"train.r1_gamma": -1}, ["r1_gamma"]),
        ({"train.loss": "wgan", "train.weight_clip": 0}, ["weight_clip", "positive"]),
        ({"optim.name": "rmsprop", "optim.momentum": 1.5}, ["momentum"]),
    ],
)
def test_bad_combinations_are_one_clear_error(overrides, words):
    with pytest.raises(GanforgeError) as error:
        resolve(apply_overrides(Config(), overrides))
    message = str(error.value)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)


def test_rmsprop_is_an_optimizer_with_the_wgan_defaults():
    cfg = resolve(apply_overrides(Config(), {"optim.name": "rmsprop"}))
    assert (cfg.optim.lr_g, cfg.optim.lr_d, cfg.optim.momentum, cfg.optim.betas) == (5e-5, 5e-5, 0.0, None)


def test_presets_command_lists_each_preset_its_paper_and_settings(capsys):
    main(["presets"])
    out = capsys.readouterr().out
    for name, preset in PRESETS.items():
        assert f"{name}: " in out and preset.citation in out
    assert "train.gp_lambda=10" in out and "optim.name=rmsprop" in out


def test_train_preset_flag_and_its_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--preset", "sngn", "--dataset", "grid"])
    assert exit_.value.code == 2
    assert "did you mean 'sngan'" in capsys.readouterr().err
    out = tmp_path / "run"
    main(["train", "--preset", "sngan", "--dataset", "grid", "--model", "mlp", "--steps", "2", "--quiet",
          "--batch-size", "16", "--out", str(out)])  # fmt: skip
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert (saved["preset"], saved["train"]["loss"], saved["model"]["d_norm"]) == ("sngan", "hinge", "spectral")


def test_preset_auto_is_the_datasets_preset_and_the_command_lines_default(tmp_path):
    from ganforge.data import DATASETS

    auto = {"preset": "auto"}
    assert (resolve(apply_overrides(Config(), auto)).preset, resolve(Config()).preset) == ("fast", None)
    assert resolve(apply_overrides(Config(), auto)).model.name == "dcgan"
    for name in ("ring", "grid"):
        cfg = resolve(apply_overrides(Config(), {**auto, "data.name": name}))
        assert (cfg.preset, cfg.model.name, cfg.model.z_dim) == (DATASETS[name].preset, "mlp", 2)
    # `ganforge train` names auto unless a preset or a network is named; the saved config names the preset
    main(["train", "--dataset", "ring", "--steps", "2", "--quiet", "--out", str(tmp_path / "auto")])
    main(["train", "--dataset", "ring", "--model", "mlp", "--steps", "2", "--quiet", "--out", str(tmp_path / "mlp")])
    saved = yaml.safe_load((tmp_path / "auto" / "config.yaml").read_text())
    assert (saved["preset"], saved["model"]["g_hidden"], saved["train"]["ema"]) == ("ring", [128, 128], 0.999)
    tutorial = yaml.safe_load((tmp_path / "mlp" / "config.yaml").read_text())
    assert (tutorial["preset"], tutorial["model"]["g_hidden"], tutorial["train"]["ema"]) == (None, [128], None)


def test_a_presets_image_network_gives_way_to_the_datasets_on_2d_data(caplog):
    with caplog.at_level("INFO", logger="ganforge"):
        cfg = resolve(apply_overrides(Config(), {"preset": "wgan-gp", "data.name": "ring"}))
    # WGAN-GP's loss, critic steps and optimiser; the ring's network (mlp, 2-d latent) instead of dcgan
    assert (cfg.preset, cfg.train.loss, cfg.train.d_steps, cfg.optim.betas) == ("wgan-gp", "wgan-gp", 5, [0.0, 0.9])
    assert (cfg.model.name, cfg.model.z_dim, cfg.model.d_norm) == ("mlp", 2, "none")
    assert "trains the dataset's network" in caplog.text
    with pytest.raises(GanforgeError) as error:  # an explicit image network on points is still refused
        ganforge.train(apply_overrides(Config(), {"preset": "wgan-gp", "data.name": "ring", "model.name": "dcgan"}))
    assert "needs images" in str(error.value)
