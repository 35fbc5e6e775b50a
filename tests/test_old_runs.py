"""Run folders written before the architecture refactor (issue 14) still load and give the same samples.

``tests/fixtures/*-v0`` were trained with the code as it was before ``trained.py``, ``resolve.py`` and
``tasks/`` existed (two steps each, config and latest checkpoint only); ``expected.json`` holds what that
code sampled from them.
"""

import json
import shutil
from pathlib import Path

import torch

import ganforge

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


def test_an_old_generation_run_samples_what_it_sampled_before(tmp_path):
    run = shutil.copytree(FIXTURES / "ring-mlp-v0", tmp_path / "ring")
    trained = ganforge.load(run, device="cpu")
    assert trained.step == EXPECTED["ring_step"]
    expected = torch.tensor(EXPECTED["ring_sample_4_seed_0"])
    assert torch.allclose(trained.sample(4, seed=0), expected, atol=1e-6)


def test_an_old_task_run_translates_as_it_did_before(tmp_path):
    run = shutil.copytree(FIXTURES / "inpaint-v0", tmp_path / "inpaint")
    trained = ganforge.load(run, device="cpu")
    assert trained.step == EXPECTED["inpaint_step"]
    images = torch.linspace(-1, 1, 2 * 28 * 28).reshape(2, 1, 28, 28)
    output = trained.translate(images)
    assert output.shape == (2, 1, 28, 28)
    assert abs(float(output.double().sum()) - EXPECTED["inpaint_translate_sum"]) < 1e-3
