"""The hand-written yardstick of benchmarks/quality_per_second.py is the script issue 15 describes."""

import importlib.util
from pathlib import Path

import torch

ROOT = Path(__file__).parent.parent
spec = importlib.util.spec_from_file_location("hand_dcgan", ROOT / "benchmarks" / "hand_dcgan.py")
hand_dcgan = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hand_dcgan)


def test_the_networks_have_the_described_layers_and_shapes():
    G, D = hand_dcgan.Generator(), hand_dcgan.Discriminator()
    assert G(torch.randn(5, 100)).shape == (5, 1, 28, 28) and D(torch.randn(5, 1, 28, 28)).shape == (5,)
    convs = [m for m in D.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride) for c in convs] == [
        (1, 64, (4, 4), (2, 2)), (64, 128, (4, 4), (2, 2))
    ]  # fmt: skip
    ups = [m for m in G.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [(c.in_channels, c.out_channels) for c in ups] == [(128, 64), (64, 1)]
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules()) == 1  # on D's second convolution only


def test_training_stops_at_each_budget_and_measures_G_in_eval_mode():
    images = torch.rand(256, 1, 28, 28) * 2 - 1
    calls = []

    def measure(generate, seconds, steps):
        z = torch.randn(8, 100)
        samples = generate(z)
        # eval mode: batch norm uses running statistics, so a sample does not depend on the rest of its batch
        assert torch.allclose(generate(z[:1])[0], samples[0], atol=1e-6)
        calls.append((seconds, steps, samples.shape, float(samples.abs().max())))

    hand_dcgan.train(images, [0.3, 0.6], measure, seed=0)
    assert [call[0] >= budget for call, budget in zip(calls, [0.3, 0.6], strict=True)] == [True, True]
    assert 0 < calls[0][1] < calls[1][1]  # more steps by the second budget
    assert all(shape == (8, 1, 28, 28) and peak <= 1 for _, _, shape, peak in calls)
