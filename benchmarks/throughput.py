"""Training throughput: ganforge's loop next to a minimal hand-written PyTorch loop, same process.

Both train the default MLP GAN (the Keras tutorial's networks) on the same MNIST tensor at the same
batch size, with the same Adam settings and the same algorithm (one D step on fresh real and noise
minibatches, then one G step on fresh noise). ganforge's time is its loop time as it records it in
metrics.jsonl (logging every 100 steps included; the end-of-run pictures excluded). Runs alternate,
and the ratio is taken per pair, so drift in machine speed hits both sides alike.

    python benchmarks/throughput.py [--steps 3000] [--repeats 3] [--device cpu]

Prints a table and writes benchmarks/results/throughput-<device>.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ganforge.config import Config, apply_overrides, resolve
from ganforge.data import load_dataset
from ganforge.models import build_models
from ganforge.run import RunDir
from ganforge.train import build_session, fit


def hand_loop(data, cfg: Config, steps: int, device: torch.device) -> float:
    """The loop a practitioner would write by hand; returns iterations per second."""
    torch.manual_seed(0)
    G, D = build_models(cfg.model, data.shape)
    G, D = G.to(device), D.to(device)
    opt_G = torch.optim.Adam(G.parameters(), lr=cfg.optim.lr_g, betas=tuple(cfg.optim.betas))
    opt_D = torch.optim.Adam(D.parameters(), lr=cfg.optim.lr_d, betas=tuple(cfg.optim.betas))
    images = data.images  # (N, 1, 28, 28) uint8 on the device, as ganforge keeps it
    m, z_dim = cfg.train.batch_size, cfg.model.z_dim
    ones = torch.ones(m, device=device)
    zeros = torch.zeros(m, device=device)
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        real = images[torch.randint(len(images), (m,), device=device)].float() / 127.5 - 1
        with torch.no_grad():
            fake = G(torch.randn(m, z_dim, device=device))
        loss_D = F.binary_cross_entropy_with_logits(D(real).squeeze(), ones) + F.binary_cross_entropy_with_logits(
            D(fake).squeeze(), zeros
        )
        opt_D.zero_grad()
        loss_D.backward()
        opt_D.step()
        loss_G = F.binary_cross_entropy_with_logits(D(G(torch.randn(m, z_dim, device=device))).squeeze(), ones)
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
    _sync(device)
    return steps / (time.perf_counter() - start)


def ganforge_loop(cfg: Config, steps: int) -> float:
    """ganforge's own loop on the same config; returns iterations per second of the loop itself."""
    cfg = resolve(
        apply_overrides(cfg, {"train.steps": steps, "train.sample_every": steps, "train.checkpoint_every": steps})
    )
    with tempfile.TemporaryDirectory() as folder:
        cfg.out = str(Path(folder) / "run")
        session = build_session(cfg)
        run = RunDir.create(cfg.out, cfg)
        fit(session, run, progress=False)
        seconds = run.read_metrics()[-1]["time"]  # loop time up to the last step, before the final pictures
    return steps / seconds


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    logging.getLogger("ganforge").setLevel(logging.ERROR)  # the data-source notice once per run is noise here

    cfg = resolve(apply_overrides(Config(), {"train.device": args.device, "train.batch_size": args.batch_size}))
    device = torch.device(args.device)
    data = load_dataset(cfg.data, device)
    hand_loop(data, cfg, 200, device)  # warm-up: allocator, kernels, thread pools
    hand, ours = [], []
    for _ in range(args.repeats):
        hand.append(hand_loop(data, cfg, args.steps, device))
        ours.append(ganforge_loop(cfg, args.steps))
    ratios = [o / h for o, h in zip(ours, hand, strict=True)]
    machine = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
    )
    result = {
        "benchmark": "throughput",
        "model": "mlp (tutorial)",
        "batch_size": args.batch_size,
        "steps": args.steps,
        "device": args.device,
        "machine": machine,
        "torch": torch.__version__,
        "hand_it_per_s": [round(x, 1) for x in hand],
        "ganforge_it_per_s": [round(x, 1) for x in ours],
        "ratio_median": round(statistics.median(ratios), 3),
    }
    print(f"{'loop':<10} {'it/s (median of ' + str(args.repeats) + ')':>22}")
    print(f"{'hand':<10} {statistics.median(hand):>22.1f}")
    print(f"{'ganforge':<10} {statistics.median(ours):>22.1f}")
    print(f"ganforge / hand = {result['ratio_median']:.3f} (per-pair ratios {[round(r, 3) for r in ratios]})")
    out = Path(__file__).parent / "results" / f"throughput-{args.device.replace(':', '')}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
