import pytest

from ganforge.config import Config, apply_overrides
from ganforge.errors import GanforgeError
from ganforge.resolve import resolve


def test_defaults_resolve_to_the_tutorial_setup():
    cfg = resolve(Config())
    assert (cfg.data.name, cfg.model.name, cfg.train.loss) == ("mnist", "mlp", "non-saturating")
    assert (cfg.optim.lr_g, cfg.optim.lr_d, cfg.optim.betas) == (1e-3, 1e-3, [0.9, 0.999])  # Keras Adam()
    assert cfg.model.z_dim == 100 and cfg.train.batch_size == 128


def test_dcgan_takes_the_paper_optimiser_settings_unless_given():
    cfg = resolve(apply_overrides(Config(), {"model.name": "dcgan"}))
    assert (cfg.optim.lr_g, cfg.optim.betas) == (2e-4, [0.5, 0.999])
    cfg = resolve(apply_overrides(Config(), {"model.name": "dcgan", "optim.lr_g": 1e-3, "optim.betas": "0.0,0.9"}))
    assert (cfg.optim.lr_g, cfg.optim.lr_d, cfg.optim.betas) == (1e-3, 2e-4, [0.0, 0.9])


def test_sgd_gets_momentum_and_no_betas():
    cfg = resolve(apply_overrides(Config(), {"optim.name": "sgd"}))
    assert cfg.optim.momentum == 0.5 and cfg.optim.betas is None


def test_yaml_round_trip_keeps_every_value(tmp_path):
    cfg = resolve(apply_overrides(Config(), {"data.name": "ring", "train.steps": 123, "model.g_hidden": [64, 32]}))
    path = tmp_path / "config.yaml"
    path.write_text(cfg.to_yaml())
    assert Config.load(path) == cfg


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"model.name": "mpl"}, ["mpl", "did you mean 'mlp'"]),
        ({"data.name": "mnits"}, ["mnits", "mnist"]),
        ({"train.loss": "hinge2"}, ["hinge2", "--loss"]),
        ({"train.steps": 0}, ["--steps 0", "positive"]),
        ({"train.batch_size": -4}, ["--batch-size -4"]),
        ({"optim.lr_d": -1.0}, ["--lr-d -1.0"]),
        ({"optim.betas": [0.5]}, ["--betas [0.5]"]),
        ({"model.prior": "gauss"}, ["gauss", "normal"]),
        ({"train.device": "tpu"}, ["tpu", "cpu"]),
    ],
)
def test_bad_values_name_the_value_and_the_fix(overrides, words):
    with pytest.raises(GanforgeError) as error:
        resolve(apply_overrides(Config(), overrides))
    for word in words:
        assert word in str(error.value)


def test_unknown_and_mistyped_keys_are_rejected(tmp_path):
    with pytest.raises(GanforgeError, match="did you mean 'train.steps'"):
        apply_overrides(Config(), {"train.step": 5})
    with pytest.raises(GanforgeError, match="train.steps='many'"):
        apply_overrides(Config(), {"train.steps": "many"})
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: {steps: [1, 2\n")
    with pytest.raises(GanforgeError, match="not valid YAML"):
        Config.load(bad)


def test_training_length_follows_the_model_unless_given():
    assert resolve(Config()).train.steps == 20000
    dcgan = resolve(apply_overrides(Config(), {"model.name": "dcgan"}))
    assert (dcgan.train.steps, dcgan.train.sample_every) == (2000, 100)
    assert resolve(apply_overrides(Config(), {"model.name": "dcgan", "train.steps": 7})).train.steps == 7
