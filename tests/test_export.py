"""``ganforge export``: the exported generator, run by its own runtime, reproduces ganforge's samples."""

import json

import numpy as np
import pytest
import torch

import ganforge
from ganforge.config import Config, apply_overrides

onnxruntime = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

TINY_MNIST = {
    "data.name": "mnist",
    "data.limit": 64,
    "model.z_dim": 8,
    "model.g_hidden": [16],
    "model.d_hidden": [16],
    "train.batch_size": 8,
    "train.health_every": 0,
    "train.steps": 2,
    "train.sample_every": 2,
}
TOLERANCE = 1e-4






def _train(tmp_path_factory, name, **overrides):
    out = tmp_path_factory.mktemp("export") / name
    return ganforge.train(apply_overrides(Config(), {**TINY_MNIST, **overrides, "out": str(out)}))


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory):
    return _train(tmp_path_factory, "plain", **{"train.ema": 0.9})  # G_ema is what sampling uses


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory):
    return _train(tmp_path_factory, "conditional", **{"model.condition": "projection", "model.name": "dcgan",
                                                     "model.width": 4})  # fmt: skip


@pytest.fixture(scope="module")
def infogan_run(tmp_path_factory):
    return _train(tmp_path_factory, "infogan", **{"model.info_categorical": 3, "model.info_continuous": 2})


@pytest.fixture(scope="module")
def task_run(tmp_path_factory):
    return _train(tmp_path_factory, "srgan", **{"task.name": "srgan", "model.width": 4, "task.scale": 2,
                                                "data.image_size": 16})  # fmt: skip


def _run_onnx(path, feeds):
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {name: np.asarray(value) for name, value in feeds.items()})[0]


def _run_pt2(path, feeds):
    with torch.no_grad():
        return torch.export.load(path).module()(*[torch.as_tensor(value) for value in feeds.values()]).numpy()


RUNNERS = {"onnx": _run_onnx, "pt2": _run_pt2}


@pytest.mark.parametrize("fmt", ["onnx", "pt2"])
def test_an_exported_generator_samples_what_ganforge_samples_at_any_batch_size(plain_run, tmp_path, fmt, run_cli):
    out = tmp_path / f"G.{fmt}"
    code, said, err = run_cli("export", plain_run, "--format", fmt, "--out", out)
    assert code == 0, err
    assert "G_ema at step 2" in said and "max |difference| from ganforge" in said
    description = json.loads(out.with_name(out.name + ".json").read_text())
    assert description["generator"] == "G_ema" and description["max_abs_difference"] <= TOLERANCE
    prior = description["latent_prior"]
    assert prior == {"distribution": "normal", "z_dim": 8, "codes": None, "num_classes": 0}
    assert description["config"]["train"]["ema"] == 0.9
    trained = ganforge.load(plain_run, device="cpu")
    for batch in (1, 7):  # not the batch it was traced at
        z = trained.latents(batch, seed=batch)
        exported = RUNNERS[fmt](out, {"z": z.numpy()})
        assert exported.shape == (batch, 1, 28, 28)
        assert np.abs(exported - trained.generate(z).numpy()).max() <= TOLERANCE


@pytest.mark.parametrize("fmt", ["onnx", "pt2"])
def test_a_conditional_generator_takes_the_class_labels(conditional_run, tmp_path, fmt):
    out = tmp_path / f"G.{fmt}"
    description = ganforge_export(conditional_run, fmt, out)
    assert [spec["name"] for spec in description["inputs"]] == ["z", "labels"]
    trained = ganforge.load(conditional_run, device="cpu")
    z, labels = trained.latents(6, seed=1), torch.tensor([0, 9, 3, 3, 1, 7])
    exported = RUNNERS[fmt](out, {"z": z.numpy(), "labels": labels.numpy()})
    expected = trained.generate(z, labels=labels).numpy()
    assert exported.shape == (6, 1, 28, 28) and np.abs(exported - expected).max() <= TOLERANCE
    other = RUNNERS[fmt](out, {"z": z.numpy(), "labels": (labels + 1).numpy() % 10})
    assert np.abs(other - exported).max() > 1e-3  # the label reaches G


def test_an_infogan_generator_takes_its_codes_as_an_input_of_their_own(infogan_run, tmp_path):
    out = tmp_path / "G.onnx"
    description = ganforge_export(infogan_run, "onnx", out)
    assert [spec["shape"] for spec in description["inputs"]] == [["batch", 8], ["batch", 5]]
    assert description["latent_prior"]["codes"] == {"categorical": 3, "continuous": 2}
    trained = ganforge.load(infogan_run, device="cpu")
    latent = trained.latents(4, seed=2)  # [z | one-hot | continuous]
    exported = _run_onnx(out, {"z": latent[:, :8].numpy(), "codes": latent[:, 8:].numpy()})
    assert np.abs(exported - trained.generate(latent).numpy()).max() <= TOLERANCE


@pytest.mark.parametrize("fmt", ["onnx", "pt2"])
def test_a_task_generator_translates_images_as_ganforge_does(task_run, tmp_path, fmt, run_cli):
    images = torch.rand(3, 1, 8, 8) * 2 - 1  # low-resolution inputs of the x2 super-resolution run
    np.save(tmp_path / "lr.npy", images.numpy())
    out = tmp_path / f"G.{fmt}"
    code, said, err = run_cli("export", task_run, "--format", fmt, "--out", out, "--input", tmp_path / "lr.npy")
    assert code == 0, err
    description = json.loads(out.with_name(out.name + ".json").read_text())
    assert description["inputs"][0]["shape"] == ["batch", 1, 8, 8] and description["latent_prior"] is None
    assert description["max_abs_difference"] <= TOLERANCE
    trained = ganforge.load(task_run, device="cpu")
    exported = RUNNERS[fmt](out, {"source": images[:1].numpy()})
    assert exported.shape == (1, 1, 16, 16)
    assert np.abs(exported - trained.translate(images[:1]).numpy()).max() <= TOLERANCE


def ganforge_export(run, fmt, out):
    from ganforge.export import export_run

    return export_run(run, fmt, out)


def test_bad_exports_are_one_line_errors(plain_run, task_run, tmp_path, run_cli, one_line_error):
    out = tmp_path / "G.onnx"
    cases = [
        (["--format", "tflite", "--out", out], ["tflite", "--format onnx or --format pt2"]),
        (["--format", "torchscript", "--out", out], ["deprecated", "--format pt2"]),
        (["--format", "onnx", "--out", tmp_path / "G.pt2"], ["does not end in .onnx"]),
    ]
    for args, words in cases:
        one_line_error(*run_cli("export", plain_run, *args)[::2], *words)
    code, _, err = run_cli("export", tmp_path, "--format", "onnx", "--out", out)
    one_line_error(code, err, "is not a ganforge run")
    code, _, err = run_cli("export", task_run, "--format", "onnx", "--out", out)
    one_line_error(code, err, "srgan run", "--input IMAGES")
    np.save(tmp_path / "wrong.npy", np.zeros((2, 1, 16, 16), np.float32))  # high-resolution, not G's input
    wrong = ["--input", tmp_path / "wrong.npy"]
    code, _, err = run_cli("export", task_run, "--format", "onnx", "--out", out, *wrong)
    one_line_error(code, err, "16 x 16", "8 x 8")
    assert not out.exists()
    out.write_text("the user's own file")
    code, _, err = run_cli("export", plain_run, "--format", "onnx", "--out", out)
    one_line_error(code, err, "already exists", "--overwrite")
    assert out.read_text() == "the user's own file"
