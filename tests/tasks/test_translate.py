"""ganforge translate: a trained task applied to new images, and clear errors for what does not fit."""

import numpy as np
import pytest
import torch
from PIL import Image

import ganforge
import ganforge.run
from ganforge.cli import main
from ganforge.config import Config, apply_overrides
from ganforge.translate import translate

TINY = {"train.steps": 2, "train.batch_size": 4, "model.width": 4, "data.limit": 32, "train.log_every": 1}


def run_cli(capsys, *args):
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def sr_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "sr"
    cfg = apply_overrides(Config(), {**TINY, "task.name": "srgan", "data.name": "mnist", "out": str(out)})
    return ganforge.train(cfg)


def test_a_low_resolution_npy_comes_back_at_four_times_the_side(sr_run, tmp_path):
    low = np.random.default_rng(0).uniform(-1, 1, (5, 1, 7, 7)).astype(np.float32)
    np.save(tmp_path / "low.npy", low)
    done = translate(sr_run, tmp_path / "low.npy", tmp_path / "high.npy")
    high = np.load(tmp_path / "high.npy")
    assert done.count == 5 and high.shape == (5, 1, 28, 28) and high.dtype == np.float32


def test_a_folder_of_pngs_gives_a_folder_of_pngs_with_the_same_names(sr_run, tmp_path):
    (tmp_path / "in").mkdir()
    for name in ("cat", "dog"):
        Image.fromarray(np.full((7, 7), 100, dtype=np.uint8)).save(tmp_path / "in" / f"{name}.png")
    translate(sr_run, tmp_path / "in", tmp_path / "out")
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["cat.png", "dog.png"]
    assert Image.open(tmp_path / "out" / "cat.png").size == (28, 28)


def test_the_cli_writes_a_grid_of_input_and_output(sr_run, tmp_path, capsys):
    np.save(tmp_path / "low.npy", np.zeros((3, 1, 7, 7), dtype=np.float32))
    code, out, err = run_cli(capsys, "translate", str(sr_run), "--input", str(tmp_path / "low.npy"),
                             "--out", str(tmp_path / "grid.png"))  # fmt: skip
    assert code == 0, err
    assert "3 images translated" in out and (tmp_path / "grid.png").is_file()


@pytest.mark.parametrize(
    ("shape", "words"),
    [((2, 1, 28, 28), "reads 1 x 7 x 7"), ((2, 3, 7, 7), "3 x 7 x 7"), ((7, 7), "N x C x H x W")],
)
def test_images_of_the_wrong_size_or_channels_are_one_line_errors(sr_run, tmp_path, capsys, shape, words):
    np.save(tmp_path / "bad.npy", np.zeros(shape, dtype=np.float32))
    code, _, err = run_cli(capsys, "translate", str(sr_run), "--input", str(tmp_path / "bad.npy"),
                           "--out", str(tmp_path / "o.npy"))  # fmt: skip
    assert code == 2 and words in err and "Traceback" not in err


def test_a_noise_run_cannot_translate_and_a_task_run_cannot_sample(sr_run, tmp_path, capsys):
    cfg = apply_overrides(Config(), {"data.name": "ring", "train.steps": 2, "out": str(tmp_path / "ring"),
                                     "model.g_hidden": [8], "model.d_hidden": [8]})  # fmt: skip
    ring = ganforge.train(cfg)
    np.save(tmp_path / "x.npy", np.zeros((1, 1, 7, 7), dtype=np.float32))
    out = str(tmp_path / "o.npy")
    code, _, err = run_cli(capsys, "translate", str(ring), "--input", str(tmp_path / "x.npy"), "--out", out)
    assert code == 2 and "generates from noise" in err
    for command in (["sample", str(sr_run), "--out", str(tmp_path / "s.png")],
                    ["interpolate", str(sr_run), "--out", str(tmp_path / "w.gif")]):  # fmt: skip
        code, _, err = run_cli(capsys, *command)
        assert code == 2 and "no latent space" in err and "ganforge translate" in err and "Traceback" not in err


def test_inpainting_keeps_every_pixel_outside_the_hole(tmp_path):
    cfg = apply_overrides(Config(), {**TINY, "task.name": "inpaint", "data.name": "mnist", "out": str(tmp_path / "ip")})
    run = ganforge.train(cfg)
    images = torch.rand(4, 1, 28, 28) * 2 - 1
    np.save(tmp_path / "in.npy", images.numpy())
    translate(run, tmp_path / "in.npy", tmp_path / "out.npy")
    out = torch.from_numpy(np.load(tmp_path / "out.npy"))
    outside = torch.ones(28, 28, dtype=torch.bool)
    outside[7:21, 7:21] = False  # the centre hole of half the side
    assert torch.allclose(out[:, :, outside], images[:, :, outside])
    assert not torch.allclose(out[:, :, ~outside], images[:, :, ~outside])


def test_python_translate_takes_and_returns_tensors(sr_run):
    trained = ganforge.load(sr_run)
    low = torch.zeros(3, 1, 7, 7)
    high = trained.translate(low)
    assert high.shape == (3, 1, 28, 28) and torch.allclose(high, torch.zeros_like(high), atol=0.5)
    with pytest.raises(ganforge.GanforgeError, match="reads 1 x 7 x 7"):
        trained.translate(torch.zeros(3, 7, 7))


def test_eval_every_measures_a_task_run_on_held_out_pairs_while_it_trains(tmp_path):
    overrides = {**TINY, "task.name": "srgan", "data.name": "mnist", "train.steps": 4, "train.eval_every": 2,
                 "train.eval_samples": 50, "out": str(tmp_path / "sr")}  # fmt: skip
    run = ganforge.train(apply_overrides(Config(), overrides))
    records = [record for record in ganforge.run.RunDir.open(run).read_metrics() if "eval/psnr" in record]
    assert [record["step"] for record in records] == [2, 4]
    assert all(record["eval/psnr"] > 5 and "eval/psnr_bicubic" in record for record in records)
