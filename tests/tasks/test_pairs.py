"""Task data: pairs stay aligned, domains stay unaligned, holes are where the rule puts them."""

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.data.images import ImageData
from ganforge.data.pairs import (
    MaskedData,
    Pair,
    downscale,
    edges,
    load_paired,
    load_unpaired,
    make_masks,
    thicken,
    upscale_bicubic,
)
from ganforge.errors import GanforgeError


def fake_base(n=20):
    """A stand-in for MNIST: squares of growing size, labelled by size."""
    images = torch.zeros(n, 1, 28, 28, dtype=torch.uint8)
    for i in range(n):
        images[i, 0, 4 : 8 + i % 16, 4 : 8 + i % 16] = 200
    return ImageData("mnist", images, torch.arange(n) % 10, 10, "test")


def test_a_paired_batch_draws_the_same_index_from_sources_and_targets():
    data = load_paired("edges2mnist", lambda base: fake_base(), None)
    target, pair = data.batch(8, torch.Generator().manual_seed(0))
    assert torch.equal(target, pair.target)
    for source, image in zip(pair.source, target, strict=True):  # each source is the edge map of its own target
        expected = edges(((image + 1) * 127.5).round().to(torch.uint8)[None])[0]
        assert torch.equal(((source + 1) * 127.5).round().to(torch.uint8), expected)


def test_edges_outline_a_filled_square_and_leave_its_inside_dark():
    image = torch.zeros(1, 1, 28, 28, dtype=torch.uint8)
    image[0, 0, 8:20, 8:20] = 255
    outline = edges(image)[0, 0]
    assert outline[8, 14] == 255 and outline[19, 14] == 255  # the border
    assert outline[14, 14] == 0 and outline[2, 2] == 0  # inside and far outside


def test_unpaired_builtin_domains_come_from_disjoint_images():
    base = fake_base(20)
    data = load_unpaired("mnist2thick", lambda name: base, None)
    assert torch.equal(data.domain_a, base.images[0::2])
    assert torch.equal(data.domain_b, thicken(base.images[1::2]))
    assert (data.domain_b.float().sum() > base.images[1::2].float().sum()).item()  # bolder strokes


def test_downscale_then_bicubic_keeps_the_size_and_a_flat_image_flat():
    images = torch.full((2, 1, 28, 28), 100, dtype=torch.uint8)
    low = downscale(images, 4)
    assert low.shape == (2, 1, 7, 7) and (low == 100).all()
    up = upscale_bicubic(low.float() / 127.5 - 1, (28, 28))
    assert up.shape == (2, 1, 28, 28) and torch.allclose(up, torch.full_like(up, 100 / 127.5 - 1), atol=1e-5)


def test_the_centre_mask_is_the_central_square_of_the_given_fraction():
    mask = make_masks(3, (28, 28), "center", 0.5, torch.Generator().manual_seed(0))
    assert mask.shape == (3, 1, 28, 28)
    assert mask.sum(dim=(1, 2, 3)).tolist() == [196.0] * 3  # 14 x 14
    assert mask[0, 0, 7:21, 7:21].all() and mask[0, 0, 6, 14] == 0 and mask[0, 0, 21, 14] == 0


def test_random_boxes_repeat_with_the_seed_and_differ_between_images():
    first = make_masks(4, (28, 28), "boxes", 0.5, torch.Generator().manual_seed(3))
    again = make_masks(4, (28, 28), "boxes", 0.5, torch.Generator().manual_seed(3))
    assert torch.equal(first, again)
    assert not torch.equal(first[0], first[1])
    assert ((first.sum(dim=(1, 2, 3)) >= 49) & (first.sum(dim=(1, 2, 3)) <= 3 * 49)).all()  # 3 boxes of 7 x 7


def test_an_inpainting_source_blanks_the_hole_and_carries_the_mask():
    data = MaskedData("mnist", fake_base().images, "test")
    target, pair = data.batch(5, torch.Generator().manual_seed(0))
    visible, mask = pair.source[:, :-1], pair.source[:, -1:]
    assert torch.equal(mask, pair.mask)
    assert (visible[mask.bool().expand_as(visible)] == 0).all()
    assert torch.equal(visible * (1 - mask), target * (1 - mask))


def _write(folder, names, value=128, mode="L"):
    folder.mkdir()
    for name in names:
        Image.fromarray(np.full((32, 32), value, dtype=np.uint8)).convert(mode).save(folder / f"{name}.png")


def test_paired_folders_pair_files_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _write(tmp_path / "A", ["x", "y"], 50)
    _write(tmp_path / "B", ["x", "y"], 200, mode="RGB")
    data = load_paired(f"pairs:{tmp_path / 'A'},{tmp_path / 'B'}", None, 32)
    assert len(data) == 2 and data.shape == (3, 32, 32) and data.source_shape == (3, 32, 32)  # grey met colour
    assert (data.sources == 50).all() and (data.targets == 200).all()


def test_paired_folders_with_an_unmatched_file_name_it(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _write(tmp_path / "A", ["x", "y"])
    _write(tmp_path / "B", ["x", "z"])
    with pytest.raises(GanforgeError, match="y has no partner"):
        load_paired(f"pairs:{tmp_path / 'A'},{tmp_path / 'B'}", None, 32)
    with pytest.raises(GanforgeError, match="must name two folders"):
        load_paired(f"pairs:{tmp_path / 'A'}", None, 32)


def test_unpaired_folders_may_differ_in_size_and_names(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _write(tmp_path / "A", ["a1", "a2", "a3"])
    _write(tmp_path / "B", ["b1"])
    data = load_unpaired(f"unpaired:{tmp_path / 'A'},{tmp_path / 'B'}", None, 32)
    assert data.domain_a.shape[0] == 3 and data.domain_b.shape[0] == 1
    b, pair = data.batch(4, torch.Generator().manual_seed(0))
    assert isinstance(pair, Pair) and pair.source.shape == b.shape == (4, 1, 32, 32)


@pytest.mark.parametrize("name", ["edges2fashion", "edges2mnist", "silhouette2fashion", "mnist2thick",
                                  "mnist2inverted", "tops2shoes"])  # fmt: skip
def test_every_builtin_task_dataset_loads_offline_and_batches(name):
    from ganforge.config import Config, apply_overrides
    from ganforge.data.pairs import PAIRED
    from ganforge.resolve import resolve
    from ganforge.tasks import load_task_data

    task = "pix2pix" if name in PAIRED else "cyclegan"
    cfg = resolve(apply_overrides(Config(), {"task.name": task, "data.name": name, "data.limit": 200}))
    data = load_task_data(cfg)
    target, pair = data.batch(6, torch.Generator().manual_seed(0))
    assert target.shape == pair.source.shape == (6, 1, 28, 28)
    assert target.min() >= -1 and target.max() <= 1 and not torch.equal(pair.source, target)
