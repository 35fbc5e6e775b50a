"""How close N processes come to one: the same GAN trained on 1 and on N processes (gloo on the CPU).

For each case it trains one process with the whole batch, then N processes under torchrun with
batch / N each, and prints the largest absolute difference between the two final checkpoints, over
the weights and over all tensors (optimiser state included), and whether the random streams agree.

    python benchmarks/distributed_equivalence.py [--processes 2] [--steps 20]

Writes benchmarks/results/distributed-equivalence.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file

import ganforge
from ganforge.config import Config, apply_overrides

RING = {"data.name": "ring", "model.name": "mlp", "model.z_dim": 2, "model.g_hidden": [32], "model.d_hidden": [32],
        "train.batch_size": 32, "train.device": "cpu", "train.log_every": 5, "train.health_every": 0}  # fmt: skip
MNIST = {**RING, "data.name": "mnist", "model.z_dim": 16}  # small MLPs on the embedded MNIST subset
SGD = {"optim.name": "sgd", "optim.lr_g": 0.01, "optim.lr_d": 0.01}
ADAM_WGAN_GP = {"optim.betas": [0.5, 0.9], "optim.lr_g": 1e-4, "optim.lr_d": 1e-4}  # Gulrajani et al. (2017)
CASES = {
    "mlp, non-saturating, adam": RING,
    "mlp, non-saturating + R1, d_steps 2, adam": {**RING, "train.r1_gamma": 1.0, "train.d_steps": 2},
    "mlp, wgan-gp, d_steps 2, sgd": {**RING, "train.loss": "wgan-gp", "train.d_steps": 2, **SGD},
    "mlp, wgan-gp, d_steps 2, adam": {**RING, "train.loss": "wgan-gp", "train.d_steps": 2, **ADAM_WGAN_GP},
    "mlp, G_ema 0.9, adam": {**RING, "train.ema": 0.9},
    "mlp, ac-gan on mnist, sgd": {**MNIST, "model.condition": "acgan", **SGD},
    "mlp, projection on mnist, sgd": {**MNIST, "model.condition": "projection", **SGD},
    "mlp, infogan codes on mnist, sgd": {**MNIST, "model.info_categorical": 10, "model.info_continuous": 2, **SGD},
}


def train_on(processes: int, settings: dict, steps: int, out: Path) -> Path:
    if processes == 1:
        return ganforge.train(apply_overrides(Config(), {**settings, "train.steps": steps, "out": str(out)}))
    pairs = [f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in settings.items()]
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
               "-m", "ganforge", "train", "--steps", str(steps), "--out", str(out), "--quiet",
               *[token for pair in pairs for token in ("--set", pair)]]  # fmt: skip
    subprocess.run(command, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True)
    return out


def differences(a: Path, b: Path) -> dict[str, float | bool]:
    one, many = load_file(a / "checkpoints/latest.safetensors"), load_file(b / "checkpoints/latest.safetensors")
    gap = {name: (one[name].double() - many[name].double()).abs().max().item() for name in one}
    return {
        "weights": max(value for name, value in gap.items() if name.startswith(("G.", "D."))),
        "all": max(value for name, value in gap.items() if not name.startswith("rng.")),
        "streams_equal": all(torch.equal(one[name], many[name]) for name in one if name.startswith("rng.")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    results = {}
    print(f"{'case':<45} {'max |dW|':>10} {'max |d state|':>14}  streams")
    with tempfile.TemporaryDirectory() as tmp:
        for index, (name, settings) in enumerate(CASES.items()):
            one = train_on(1, settings, args.steps, Path(tmp) / f"{index}-one")
            many = train_on(args.processes, settings, args.steps, Path(tmp) / f"{index}-many")
            results[name] = differences(one, many)
            row = results[name]
            streams = "equal" if row["streams_equal"] else "DIFFER"
            print(f"{name:<45} {row['weights']:>10.2e} {row['all']:>14.2e}  {streams}")
    target = Path(__file__).parent / "results" / "distributed-equivalence.json"
    target.write_text(json.dumps({"processes": args.processes, "steps": args.steps, "results": results}, indent=2))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
