"""The health probe watches training without changing it: it draws from random streams of its own."""

import pytest
import torch
from safetensors.torch import load_file

import ganforge
from ganforge.config import Config, apply_overrides
from ganforge.run import RunDir

# Every DiffAugment policy on a small MLP GAN over 256 MNIST images: a few seconds.
AUGMENTED = {
    "data.limit": 256, "model.z_dim": 16, "model.g_hidden": [32], "model.d_hidden": [32], "train.batch_size": 16,
    "train.augment": "translation,cutout,color", "train.steps": 8, "train.log_every": 2, "train.sample_every": 8,
    "train.checkpoint_every": 8,
}  # fmt: skip


# ADA (Karras et al. 2020) with a low target and a fast speed, so its probability p moves during the 8 steps.
ADAPTIVE = {**AUGMENTED, "train.augment": "ada:0.05", "train.ada_images": 640}


def trained(
    tmp_path, name: str, health_every: int, settings: dict = AUGMENTED
) -> tuple[dict[str, torch.Tensor], list[dict]]:
    cfg = apply_overrides(Config(), {**settings, "train.health_every": health_every, "out": str(tmp_path / name)})
    run = ganforge.train(cfg)
    return load_file(run / "checkpoints/latest.safetensors"), RunDir(run).read_metrics()


def test_an_augmented_run_ends_bitwise_the_same_with_health_probes_on_or_off(tmp_path):
    # The probe asks D about real, held-out and generated images through DiffAugment; were it to draw those
    # transforms from the training stream, every later step would augment differently.
    (probed, records), (plain, _) = trained(tmp_path, "probed", health_every=2), trained(tmp_path, "plain", 0)
    assert sum("health/d_overfit" in record for record in records) == 4  # the probe asked D at steps 2, 4, 6, 8
    assert probed.keys() == plain.keys() and "rng.augment" in probed
    for name in probed:
        assert torch.equal(probed[name], plain[name]), name


@pytest.mark.parametrize("health_every", [2, 3])
def test_an_ada_run_ends_bitwise_the_same_with_health_probes_on_or_off(tmp_path, health_every):
    # The probe asks D through ADA's pipeline; it must neither draw from the training stream nor count as one
    # of D's updates in the heuristic that moves p.
    probed, records = trained(tmp_path, "probed", health_every, ADAPTIVE)
    plain, _ = trained(tmp_path, "plain", 0, ADAPTIVE)
    assert any("health/d_overfit" in record for record in records)
    assert probed.keys() == plain.keys() and {"rng.augment", "ada.p"} <= probed.keys()
    assert probed["ada.p"].item() > 0
    for name in probed:
        assert torch.equal(probed[name], plain[name]), name
