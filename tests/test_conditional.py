"""Class-conditional GANs: concat (cGAN), projection and AC-GAN, with every loss, and their errors."""

import math

import pytest
import torch
from PIL import Image

import ganforge
from ganforge import stats
from ganforge.cli import main
from ganforge.config import Config, apply_overrides
from ganforge.errors import GanforgeError
from ganforge.gans.cgan import class_rows
from ganforge.models.conditional import HeadedDiscriminator
from ganforge.resolve import resolve
from ganforge.train import build_session, train_step

TINY_MNIST = {
    "data.name": "mnist",
    "data.limit": 200,
    "model.z_dim": 8,
    "model.g_hidden": [16],
    "model.d_hidden": [16],
    "train.batch_size": 16,
    "train.health_every": 0,
}


def _cfg(**overrides):
    return resolve(apply_overrides(Config(), {**TINY_MNIST, **overrides}))


def _session(**overrides):
    return build_session(_cfg(**overrides))


@pytest.mark.parametrize("condition", ["concat", "projection", "acgan"])
@pytest.mark.parametrize("loss", ["non-saturating", "wgan-gp", "hinge", "lsgan"])
def test_every_condition_trains_with_every_loss(condition, loss):
    stats.reset()
    s = _session(**{"model.condition": condition, "train.loss": loss})
    train_step(s)
    record = stats.collect()
    assert {"loss/D", "loss/G"} <= record.keys()
    assert all(math.isfinite(value) for value in record.values())
    if condition == "acgan":  # both players add the class log-likelihood
        assert {"loss/D/class_real", "loss/D/class_fake", "loss/G/class"} <= record.keys()


@pytest.mark.parametrize("model", ["mlp", "dcgan"])
@pytest.mark.parametrize("condition", ["concat", "projection"])
def test_D_and_G_depend_on_the_label(model, condition):
    s = _session(**{"model.name": model, "model.condition": condition, "model.width": 8})
    s.gan.G.eval()
    s.gan.D.eval()
    z = s.gan.sample_latent(4, torch.Generator().manual_seed(0))
    zeros, ones = torch.zeros(4, dtype=torch.long), torch.ones(4, dtype=torch.long)
    with torch.no_grad():
        x = s.gan.generate(z, zeros)
        assert not torch.allclose(x, s.gan.generate(z, ones))
        # a fresh D's class embedding (projection) or label weights (concat) are random: every score moves
        assert (s.gan.discriminate(x, zeros) - s.gan.discriminate(x, ones)).abs().min() > 1e-6


def test_projection_adds_the_inner_product_of_the_class_embedding_and_the_features():
    # Miyato & Koyama (2018), eq. 3: D(x, y) = psi(phi(x)) + <embed(y), phi(x)>
    body, psi = torch.nn.Sequential(torch.nn.Linear(5, 3), torch.nn.ReLU()), torch.nn.Linear(3, 1)
    D = HeadedDiscriminator(body, psi, "projection", num_classes=4)
    x, y = torch.randn(6, 5), torch.tensor([0, 1, 2, 3, 0, 1])
    phi = body(x)
    expected = psi(phi).flatten() + (D.embed.weight[y] * phi).sum(1)
    torch.testing.assert_close(D(x, y), expected)
    torch.testing.assert_close(D(x), psi(phi).flatten())  # unlabelled: the class term is left out


def test_acgan_classifier_head_shares_D_body_and_lives_in_D():
    s = _session(**{"model.condition": "acgan"})
    head = set(map(id, s.gan.D.class_head.parameters()))
    assert head <= set(map(id, s.gan.D.parameters()))  # D's optimiser trains it
    assert s.gan.D.classify(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


def test_acgan_adds_the_class_cross_entropy_to_both_objectives():
    s = _session(**{"model.condition": "acgan"})
    real, labels = s.data.batch(16, torch.Generator().manual_seed(0))
    z = s.gan.sample_latent(16, torch.Generator().manual_seed(1))
    torch.manual_seed(0)
    stats.reset()
    total_D = s.gan.d_objective(s.gan.make_step(real, z, labels, with_graph=False))
    record = stats.collect()
    expected_D = record["loss/D"] + record["loss/D/class_real"] + record["loss/D/class_fake"]
    assert math.isclose(float(total_D.detach()), expected_D, rel_tol=1e-5)
    total_G = s.gan.g_objective(s.gan.make_step(real, z, labels, with_graph=True))
    record = stats.collect()
    assert math.isclose(float(total_G.detach()), record["loss/G"] + record["loss/G/class"], rel_tol=1e-5)


def test_grids_of_a_conditional_run_show_one_row_per_class(tmp_path):
    cfg = _cfg(**{"model.condition": "concat", "train.steps": 2, "train.sample_every": 1, "out": str(tmp_path / "r")})
    run = ganforge.train(cfg)
    cell = 28 * 2 + 2  # 28 px enlarged twice, plus the grid lines
    with Image.open(run / "final.png") as final:
        assert final.size == (10 * cell + 2, 10 * cell + 2)  # 10 classes x 10 columns
    with Image.open(next((run / "samples").iterdir())) as frame:
        assert frame.size[1] == 10 * cell + 2  # 64 fixed latents -> 10 rows of 6
        assert frame.size[0] == 6 * cell + 2


def test_class_rows_repeat_the_latents_in_every_row():
    s = _session(**{"model.condition": "concat"})
    z, labels = class_rows(s.gan, 3, torch.Generator().manual_seed(0))
    assert labels.tolist() == [k for k in range(10) for _ in range(3)]
    torch.testing.assert_close(z[:3], z[27:])


def test_load_and_resume_rebuild_a_conditional_run(tmp_path):
    cfg = _cfg(**{"model.condition": "projection", "train.steps": 2, "out": str(tmp_path / "r")})
    run = ganforge.train(cfg)
    trained = ganforge.load(run)
    assert trained.num_classes == 10
    three = trained.sample(4, seed=0, class_=3)
    torch.testing.assert_close(three, ganforge.sample(run, 4, seed=0, class_=3))
    assert not torch.allclose(three, trained.sample(4, seed=0, class_=4))
    ganforge.resume(run, steps=3)
    assert ganforge.load(run).step == 3


def test_sample_class_on_the_command_line(tmp_path, capsys):
    run = ganforge.train(_cfg(**{"model.condition": "concat", "train.steps": 1, "out": str(tmp_path / "r")}))
    main(["sample", str(run), "--n", "5", "--class", "7", "--out", str(tmp_path / "seven.npy")])
    assert "5 samples of class 7" in capsys.readouterr().out
    for bad in ("10", "-1"):
        with pytest.raises(SystemExit) as exit_info:
            main(["sample", str(run), "--class", bad, "--out", str(tmp_path / f"bad{bad}.png")])
        assert exit_info.value.code == 2
        assert f"--class {bad} is not a class of this run" in capsys.readouterr().err


def test_interpolate_keeps_one_class_per_walk(tmp_path, capsys):
    run = ganforge.train(_cfg(**{"model.condition": "acgan", "train.steps": 1, "out": str(tmp_path / "r")}))
    main(
        ["interpolate", str(run), "--out", str(tmp_path / "w.png"), "--walks", "3", "--keyframes", "2", "--steps", "2"]
    )
    assert "3 slerp walks" in capsys.readouterr().out


def test_class_on_an_unconditional_run_is_a_clear_error(tmp_path, capsys):
    run = ganforge.train(_cfg(**{"train.steps": 1, "out": str(tmp_path / "r")}))
    with pytest.raises(SystemExit) as exit_info:
        main(["sample", str(run), "--class", "3", "--out", str(tmp_path / "x.png")])
    assert exit_info.value.code == 2
    assert "not class-conditional" in capsys.readouterr().err
    with pytest.raises(GanforgeError, match="not class-conditional"):
        ganforge.load(run).generate(torch.zeros(2, 8), labels=torch.tensor([0, 1]))


@pytest.mark.parametrize("dataset", ["ring", "grid"])
@pytest.mark.parametrize("preset", ["cgan", "projection", "acgan"])
def test_a_condition_on_a_dataset_without_labels_is_a_clear_error(dataset, preset):
    overrides = {"preset": preset, "data.name": dataset, "model.name": "mlp"}
    with pytest.raises(GanforgeError, match=f"needs class labels, but dataset '{dataset}' has none"):
        resolve(apply_overrides(Config(), overrides))


def test_a_condition_on_a_folder_of_one_class_is_a_clear_error(tmp_path):
    for index in range(3):
        Image.new("L", (28, 28), color=index * 40).save(tmp_path / f"{index}.png")
    cfg = _cfg(**{"data.name": f"folder:{tmp_path}", "model.condition": "concat"})
    with pytest.raises(GanforgeError, match="has 1 class"):
        build_session(cfg)


def test_condition_flag_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "r"
    main(["train", "--condition", "acgan", "--steps", "1", "--out", str(out), "--quiet", "--set", "data.limit=100",
          "--set", "model.g_hidden=16", "--set", "model.d_hidden=16"])  # fmt: skip
    assert ganforge.load(out).num_classes == 10
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--condition", "concat", "--dataset", "ring", "--out", str(tmp_path / "ring")])
    assert exit_info.value.code == 2
    assert "needs class labels" in capsys.readouterr().err


def test_an_unknown_condition_suggests_the_closest():
    with pytest.raises(GanforgeError, match="did you mean 'projection'"):
        _cfg(**{"model.condition": "projecton"})


# The fastest settings measured to condition reliably on 2 CPU cores: the hinge loss and spectral norm (the
# projection paper's recipe) on an MLP, MNIST at 14 px. Share of 100 samples per class that the shipped
# classifier reads as the class asked for (chance: 0.1), seeds 0, 1, 2:
#   projection, 1,500 steps: 0.514, 0.485, 0.507 (2,000 steps: 0.571, 0.551, 0.583)
#   acgan,      1,000 steps: 0.673, 0.604, 0.537 (1,500 steps, seed 0: 0.859)
#   concat,     1,500 to 3,000 steps: 0.10 to 0.12, the label still ignored: not tested here for learning.
LEARNING_RUN = {
    "data.name": "mnist",
    "data.image_size": 14,
    "model.d_norm": "spectral",
    "model.z_dim": 16,
    "model.g_hidden": [256],
    "model.d_hidden": [256],
    "model.leak": 0.2,
    "train.loss": "hinge",
    "train.batch_size": 64,
    "optim.lr_g": 2e-4,
    "optim.lr_d": 2e-4,
    "optim.betas": [0.5, 0.999],
}
LEARNING_STEPS = {"projection": 1500, "acgan": 1000}
ACCURACY_NEEDED = 0.35  # chance is 0.1; every seed of 0-4 is shown by python -m benchmarks.learning_seeds suite


def _class_accuracy(run):
    from ganforge.metrics.extractors import get_extractor

    trained = ganforge.load(run)
    classifier = get_extractor("mnist-cnn")
    correct = []
    for k in range(10):
        samples = trained.sample(100, seed=1, class_=k)  # 14 px; the classifier resizes them to 28
        correct.append(float((classifier.probabilities(samples).argmax(1) == k).float().mean()))
    return sum(correct) / 10


@pytest.mark.slow
@pytest.mark.parametrize("condition", sorted(LEARNING_STEPS))
def test_conditional_samples_are_classified_as_the_class_asked_for(tmp_path, condition):
    overrides = {**LEARNING_RUN, "model.condition": condition, "train.steps": LEARNING_STEPS[condition]}
    run = ganforge.train(apply_overrides(Config(), {**overrides, "out": str(tmp_path / condition)}))
    accuracy = _class_accuracy(run)
    assert accuracy >= ACCURACY_NEEDED, accuracy


@pytest.mark.slow
def test_the_untrained_conditional_generator_matches_classes_only_by_chance(tmp_path):
    # The same measurement before training: the test above is not passed by a classifier bias.
    overrides = {**LEARNING_RUN, "model.condition": "projection", "train.steps": 1, "out": str(tmp_path / "u")}
    assert _class_accuracy(ganforge.train(apply_overrides(Config(), overrides))) <= 0.2
