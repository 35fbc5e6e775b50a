"""Every task trains on user folders too: pairs:A,B, unpaired:A,B and folder:PATH."""

import numpy as np
import pytest
from PIL import Image

import ganforge
from ganforge.config import Config, apply_overrides
from ganforge.run import default_run_path
from ganforge.translate import translate

TINY = {"train.steps": 2, "train.batch_size": 4, "model.width": 4, "train.log_every": 1, "data.image_size": 32}


def _folder(path, names, seed):
    path.mkdir()
    rng = np.random.default_rng(seed)
    for name in names:
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(path / f"{name}.png")
    return path


@pytest.fixture
def folders(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return _folder(tmp_path / "A", ["1", "2", "3"], 0), _folder(tmp_path / "B", ["1", "2", "3"], 1)


@pytest.mark.parametrize(
    ("task", "kind"), [("pix2pix", "pairs"), ("cyclegan", "unpaired"), ("srgan", "folder"), ("inpaint", "folder")]
)
def test_each_task_trains_on_folders_and_translates_an_image(tmp_path, folders, task, kind):
    a, b = folders
    dataset = f"folder:{a}" if kind == "folder" else f"{kind}:{a},{b}"
    cfg = apply_overrides(Config(), {**TINY, "task.name": task, "data.name": dataset, "out": str(tmp_path / task)})
    run = ganforge.train(cfg)
    assert (run / "final.png").is_file()
    side = 8 if task == "srgan" else 32  # x4 super-resolution reads 8 x 8 images
    Image.fromarray(np.zeros((side, side, 3), dtype=np.uint8)).save(tmp_path / "new.png")
    translate(run, tmp_path / "new.png", tmp_path / "out")
    assert Image.open(tmp_path / "out" / "new.png").size == (32, 32)


def test_runs_on_two_folders_are_named_after_both():
    cfg = Config()
    cfg.data.name = "pairs:/data/edges,/data/photos"
    assert default_run_path(cfg, root="runs").name == "pairs-edges2photos-mlp-non-saturating"
