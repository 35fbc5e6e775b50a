"""Images of any shape: ``--image-size HxW``, ``data.fit`` for folders, DCGAN's layout, a non-square run end to end."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.config import Config, image_shape, image_size_value
from ganforge.data.folder import fit_picture, load_folder
from ganforge.errors import GanforgeError
from ganforge.models import dcgan
from ganforge.models.conditional import build_conditional


def test_an_image_size_is_a_side_or_height_by_width():
    assert image_size_value("48x32", "size") == "48x32" and image_shape("48x32") == (48, 32)
    assert image_size_value("32X32", "size") == 32 and image_size_value(" 48 x 32 ", "size") == "48x32"
    assert image_size_value(28, "size") == 28 and image_shape(28) == (28, 28) and image_shape(None) is None
    for bad in ["0x32", "32x", "x32", "abc", "32x-1", "48x32x3", "32.5", True, -4, 0]:
        with pytest.raises(GanforgeError):
            image_size_value(bad, "size")


def test_bad_sizes_on_the_command_line_are_one_line_errors(run_cli, one_line_error, tmp_path):
    for bad, words in [("0x32", ["0x32", "at least 1 pixel"]), ("32x", ["32x", "48x32"]), ("tall", ["tall"])]:
        code, _, err = run_cli("train", "--image-size", bad, "--steps", "1", "--out", tmp_path / "run")
        one_line_error(code, err, *words)
    code, _, err = run_cli("train", "--set", "data.fit=squash", "--steps", "1", "--out", tmp_path / "run")
    one_line_error(code, err, "squash", "crop, pad, stretch")
    assert not (tmp_path / "run").exists()


def _wide_picture() -> Image.Image:
    """40 wide, 20 high: red on the left quarter, green in the middle half, blue on the right quarter."""
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :10, 0] = pixels[:, 10:30, 1] = pixels[:, 30:, 2] = 255
    return Image.fromarray(pixels)


def test_crop_keeps_the_centre_pad_keeps_the_whole_and_stretch_changes_the_aspect():
    cropped = np.asarray(fit_picture(_wide_picture(), (16, 16), "crop"))
    assert cropped.shape == (16, 16, 3) and cropped[..., 1].min() > 200  # only the green middle is left
    padded = np.asarray(fit_picture(_wide_picture(), (16, 16), "pad"))  # 16 x 8 picture, 4 black rows above and below
    assert padded.shape == (16, 16, 3)
    assert padded[:3].max() == 0 and padded[-3:].max() == 0
    assert padded[8, 0, 0] > 200 and padded[8, 8, 1] > 200 and padded[8, -1, 2] > 200  # red, green and blue all kept
    stretched = np.asarray(fit_picture(_wide_picture(), (16, 16), "stretch"))
    assert stretched.shape == (16, 16, 3) and stretched[:, 0, 0].min() > 200 and stretched[:, -1, 2].min() > 200
    tall = np.asarray(fit_picture(_wide_picture(), (24, 16), "pad"))  # height x width: 24 rows, 16 columns
    assert tall.shape == (24, 16, 3)


def test_a_folder_of_wide_images_loads_at_the_shape_asked_and_the_cache_tells_fits_apart(tmp_path):
    for index in range(3):
        _wide_picture().save(tmp_path / f"{index}.png")
    padded = load_folder(f"folder:{tmp_path}", "16x32", "pad")
    assert padded.shape == (3, 16, 32)
    cropped = load_folder(f"folder:{tmp_path}", 16, "crop")
    assert cropped.shape == (3, 16, 16) and not torch.equal(cropped.images[:, :, :, :16], padded.images[:, :, :, :16])
    assert torch.equal(load_folder(f"folder:{tmp_path}", "16x32", "pad").images, padded.images)  # from the cache


def test_dcgan_grows_every_shape_from_a_first_map_of_at_least_four_pixels():
    assert dcgan.layout(28, 28) == (2, (7, 7)) and dcgan.layout(32, 32) == (3, (4, 4))
    assert dcgan.layout(64, 64) == (4, (4, 4)) and dcgan.layout(48, 32) == (3, (6, 4))
    assert dcgan.layout(24, 16) == (2, (6, 4)) and dcgan.layout(20, 20) == (2, (5, 5))
    assert dcgan.layout(18, 18)[0] == 1 and dcgan.layout(64, 12)[0] == 1
    cfg = Config().model
    cfg.width = 8
    G, D = dcgan.build(cfg, (3, 48, 32))
    images = G(torch.randn(2, cfg.z_dim))
    assert images.shape == (2, 3, 48, 32) and D(images).shape == (2,)
    cfg.condition = "concat"
    G, D = build_conditional(cfg, (1, 24, 16), 10, dcgan.build)
    fakes = G(torch.randn(2, cfg.z_dim), torch.tensor([1, 2]))
    assert fakes.shape == (2, 1, 24, 16) and D(fakes, torch.tensor([1, 2])).shape == (2,)
    with pytest.raises(GanforgeError, match="halve twice"):
        dcgan.build(Config().model, (1, 18, 18))


def test_a_non_square_run_trains_samples_and_exports_end_to_end(run_cli, tmp_path):
    folder = tmp_path / "wide"
    folder.mkdir()
    for index in range(12):
        picture = np.random.default_rng(index).integers(0, 255, (30, 50, 3), dtype=np.uint8)
        Image.fromarray(picture).save(folder / f"{index}.png")
    run = tmp_path / "run"
    code, _, err = run_cli("train", "--dataset", f"folder:{folder}", "--image-size", "16x24", "--model", "dcgan",
                           "--set", "data.fit=pad", "--set", "model.width=8", "--steps", "3", "--batch-size", "4",
                           "--sample-every", "3", "--quiet", "--out", run)  # fmt: skip
    assert code == 0, err
    width, height = Image.open(run / "final.png").size
    assert width > height  # a square grid of tiles 24 wide and 16 high
    code, _, err = run_cli("sample", run, "--n", "5", "--out", tmp_path / "s.npy")
    assert code == 0, err
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (5, 3, 16, 24) and samples.dtype == np.float32
    pytest.importorskip("onnxruntime")
    code, _, err = run_cli("export", run, "--format", "onnx", "--out", tmp_path / "G.onnx")
    assert code == 0, err
    assert json.loads((tmp_path / "G.onnx.json").read_text())["output"]["shape"][1:] == [3, 16, 24]
