"""The latent-space tools measured on a trained MNIST run, each beside its control (docs/latent.md).

    ganforge train --dataset mnist --seed 0 --out runs/readme-explorer   # the default run (fast DCGAN, 4,000 steps)
    python -m benchmarks.latent --run runs/readme-explorer --part editing
    python -m benchmarks.latent --run runs/readme-explorer --part arithmetic
    python -m benchmarks.latent --run runs/readme-explorer --part projection
    python -m benchmarks.latent --run runs/readme-explorer --part figures   # the docs' pictures, into docs/images

Measures, with their controls:

- **editing**: for each attribute, fresh samples edited by +-3 and +-6 standard deviations (`--amount`) along the named
  direction (fitted by `--method`, by default as `ganforge edit` fits it), straight and by the class-keeping walk;
  the share whose attribute moved the asked way by at least half its standard deviation over samples, and the
  share whose class is kept, beside a random direction of the same length;
- **arithmetic**: "thick A - thin A + thin B" over every ordered pair of digits and several exemplar draws:
  the share read as B and thick, beside "thin B" plus a random vector as long as "thick A - thin A"; summed
  straight (the paper's) and walked keeping class B (``ganforge arithmetic``'s default);
- **projection**: held-out test images projected into the latent space (``ganforge project``'s defaults, and
  30 and 60 steps), the guess of an encoder trained on G's own samples alone and as a warm start at the same
  steps: PSNR and the judge's feature distance, beside the best of 10,000 random latents and the nearest
  training image (each the best by its own measure), and the seconds per image (wall clock and CPU time of
  one thread; with the encoder's training time amortised over the images, and that time on its own).

Each part writes benchmarks/results/latent-mnist-PART.json (``--out`` to choose).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import torch

import ganforge
from benchmarks.common import RESULTS, machine_description, write_json
from ganforge.data import load_dataset
from ganforge.latent import arithmetic, figure, find_direction, make_pool
from ganforge.latent.attributes import attribute_names
from ganforge.latent.directions import METHODS
from ganforge.latent.encoder import STEPS as ENCODER_STEPS
from ganforge.latent.encoder import train_encoder
from ganforge.latent.measure import score_arithmetic, score_edit_with_control
from ganforge.latent.project import (
    CANDIDATES,
    STARTS,
    STEPS,
    Projection,
    best_of_random,
    feature_distance,
    judge,
    judge_network,
    loss_network,
    project,
    psnr,
)  # fmt: skip
from ganforge.viz.grid import save_image_grid


def _summary(values: torch.Tensor) -> dict[str, float]:
    return {"mean": float(values.mean()), "median": float(values.median()), "min": float(values.min()),
            "max": float(values.max())}  # fmt: skip


def editing(trained: ganforge.TrainedGAN, pool: Any, amounts: list[float], n: int, method: str) -> dict[str, Any]:
    out = {}
    for name in attribute_names(pool.dataset):
        direction = find_direction(pool, name, method)
        rows = {}
        for walk, keep in (("straight", False), ("keeping class", True)):
            for signed in itertools.chain.from_iterable((amount, -amount) for amount in amounts):
                named, control = score_edit_with_control(trained, pool, direction, signed, n, keep_class=keep)
                rows[f"{walk} {signed:+g}"] = {"named": named.as_dict(), "random": control.as_dict()}
                print(name, walk, signed, named, control, flush=True)
        out[name] = {"sigma": direction.sigma, **{f"step_length {amount:g}": direction.step_length(amount)
                                                   for amount in amounts}, **rows}  # fmt: skip
    return out


PROJECTION_STEPS = (30, 60, STEPS)  # the random-start projection and the encoder's warm start, at each


def _timed(work: Any) -> tuple[Any, float, float]:
    """(work(), wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = work()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def projection(trained: ganforge.TrainedGAN, n: int, random_latents: int,
               encoder_steps: int = ENCODER_STEPS) -> tuple[dict[str, Any], torch.Tensor, Projection]:  # fmt: skip
    """Random-start projection at 30, 60 and the default steps, the encoder's guess alone, and the encoder's
    warm start at the same steps, each beside the best random latent and the nearest training image."""
    test = load_dataset(dataclasses.replace(trained.config.data, split="test")).real()[:n].cpu()
    train = load_dataset(dataclasses.replace(trained.config.data, split="train")).real().cpu()
    network = judge(trained)
    encoder, encoder_wall, encoder_cpu = _timed(lambda: train_encoder(trained, encoder_steps))
    print(f"encoder: {encoder_steps} steps in {encoder_cpu:.0f} s CPU, {encoder_wall:.0f} s wall", flush=True)

    def row(method: str, steps: int | None, with_encoder: bool, images: torch.Tensor, loss: torch.Tensor | None,
            wall: float, cpu: float) -> dict[str, Any]:  # fmt: skip
        own_psnr, own_distance = psnr(images, test), feature_distance(network, images, test)
        out = {"method": method, "steps": steps, "encoder": with_encoder, "psnr": _summary(own_psnr),
               "feature_distance": _summary(own_distance), "loss": None if loss is None else _summary(loss),
               "cpu_seconds_per_image": cpu / n, "seconds_per_image_wall": wall / n,
               "cpu_seconds_per_image_with_encoder_training": (cpu + (encoder_cpu if with_encoder else 0)) / n,
               }  # fmt: skip
        print(method, steps, {key: out[key] for key in ("psnr", "feature_distance", "cpu_seconds_per_image")},
              flush=True)  # fmt: skip
        return out

    guess, wall, cpu = _timed(lambda: trained.generate(encoder.guess(test)))
    rows = [row("encoder alone", None, True, guess, None, wall, cpu)]
    results: dict[tuple[int, bool], Projection] = {}
    for steps in PROJECTION_STEPS:
        for warm in (False, True):
            result, wall, cpu = _timed(lambda steps=steps, warm=warm: project(trained, test, steps=steps,
                                                                              encoder=encoder if warm else None))
            results[steps, warm] = result
            method = "encoder + projection" if warm else "projection (random starts)"
            rows.append(row(method, steps, warm, result.images, result.loss, wall, cpu))
    result = results[STEPS, False]
    default = next(r for r in rows if r["steps"] == STEPS and not r["encoder"])
    random_psnr, random_distance = best_of_random(trained, test, random_latents)
    error = ((train[None] - test[:, None]) / 2).pow(2).flatten(2).mean(dim=2)  # (n, train)
    nearest_psnr = 10 * torch.log10(1 / error.min(dim=1).values)
    nearest_distance = torch.cdist(network.features(test), network.features(train)).min(dim=1).values
    own_psnr, own_distance = psnr(result.images, test), feature_distance(network, result.images, test)
    out = {
        "images": n, "split": "test", "loss_network": loss_network(trained.config.data.name),
        "judge": judge_network(trained.config.data.name), "starts": STARTS, "steps": STEPS, "candidates": CANDIDATES,
        "seconds_per_image_wall": default["seconds_per_image_wall"],
        "cpu_seconds_per_image": default["cpu_seconds_per_image"], "random_latents": random_latents,
        "train_images": len(train),
        "psnr": {"projection": _summary(own_psnr), "best_random": _summary(random_psnr),
                 "nearest_train": _summary(nearest_psnr)},
        "feature_distance": {"projection": _summary(own_distance), "best_random": _summary(random_distance),
                             "nearest_train": _summary(nearest_distance)},
        "share_beating_random_by_3db": float((own_psnr >= random_psnr + 3).float().mean()),
        "share_closer_than_random_in_features": float((own_distance < random_distance).float().mean()),
        "encoder": {"steps": encoder_steps, "batch_size": encoder.trained_for["batch_size"],
                    "image_weight": encoder.trained_for["image_weight"], "cpu_seconds": encoder_cpu,
                    "wall_seconds": encoder_wall, "latent_loss": encoder.trained_for["latent_loss"],
                    "image_loss": encoder.trained_for["image_loss"]},
        "methods": rows,
        "warm_loss_not_above_cold": {str(steps): float((results[steps, True].loss <= results[steps, False].loss + 1e-6)
                                                       .float().mean()) for steps in PROJECTION_STEPS},
    }  # fmt: skip
    return out, test, result


def figures(folder: Path, trained: ganforge.TrainedGAN, pool: Any, test: torch.Tensor, projected: Projection,
            amount: float) -> list[str]:  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    outcome = arithmetic(pool, "thick 3 - thin 3 + thin 7", keep_class=trained)
    images, width = figure(trained, pool, outcome)
    written.append(str(save_image_grid(images, folder / "latent-arithmetic.png", nrow=width)))
    z = trained.latents(6, 1).cpu()
    steps = torch.linspace(-amount, amount, 7)
    for name in ("thickness", "slant"):
        direction = find_direction(pool, name)
        path = torch.stack([direction.apply(z, float(step)) for step in steps], dim=1).flatten(0, 1)
        written.append(str(save_image_grid(trained.generate(path), folder / f"latent-edit-{name}.png", nrow=7)))
    pairs = torch.stack([test[:8], projected.images[:8]], dim=1).flatten(0, 1)
    written.append(str(save_image_grid(pairs, folder / "latent-projection.png", nrow=8)))
    thick = find_direction(pool, "thickness")  # then edit the projections: thinner, as projected, thicker
    rows = torch.stack([trained.generate(thick.apply(projected.z[:4], a))
                        for a in (-amount, 0.0, amount)], dim=1).flatten(0, 1)  # fmt: skip
    strips = torch.cat([test[:4, None], rows.view(4, 3, *rows.shape[1:])], dim=1).flatten(0, 1)
    written.append(str(save_image_grid(strips, folder / "latent-projection-edit.png", nrow=4)))
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="A run trained on MNIST by the default preset.")
    parser.add_argument("--pool", type=int, default=5000, help="Samples measured to fit directions.")
    parser.add_argument("--edits", type=int, default=500, help="Fresh samples edited per direction and sign.")
    parser.add_argument("--amount", type=float, nargs="+", default=[3.0, 6.0],
                        help="Edit steps, in sd of the latents' projection (figures: the first).")  # fmt: skip
    parser.add_argument("--part", choices=("editing", "arithmetic", "projection", "figures"), required=True,
                        help="What to measure, or 'figures' (the docs' pictures); each writes latent-mnist-PART.json.")
    parser.add_argument("--method", choices=METHODS, default="halves", help="How editing fits its directions.")
    parser.add_argument("--draws", type=int, default=3, help="Exemplar draws per pair of digits.")
    parser.add_argument("--project", type=int, default=100, help="Held-out test images projected.")
    parser.add_argument("--random-latents", type=int, default=10_000)
    parser.add_argument("--encoder-steps", type=int, default=ENCODER_STEPS, help="Training steps of the encoder.")
    parser.add_argument("--figures", type=Path, default=Path("docs/images"), help="Where --part figures draws.")
    parser.add_argument("--note", default="shared machine: 2 cores shared with other sessions")
    parser.add_argument("--out", type=Path, help="Default: benchmarks/results/latent-mnist-PART.json.")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    began = time.perf_counter()
    trained = ganforge.load(args.run, device="cpu")
    pool = make_pool(trained, args.pool, seed=0)
    print(f"pool of {args.pool} measured", flush=True)
    results: dict[str, Any] = {}
    written: list[str] = []
    if args.part == "editing":
        edits = editing(trained, pool, args.amount, args.edits, args.method)
        results = {"amounts": args.amount, "edits": args.edits, "method": args.method, "editing": edits}
    elif args.part == "arithmetic":
        pairs = list(itertools.permutations(range(10), 2))
        results = {"expression": "thick A - thin A + thin B", "pairs": len(pairs), "draws": args.draws}
        for exemplars, keep in itertools.product((3, 10, 30), (False, True)):
            named, control = score_arithmetic(trained, pool, pairs, args.draws, exemplars, keep_class=keep)
            row = f"exemplars {exemplars}" + (", keeping class" if keep else "")
            results[row] = {"named": named.as_dict(), "random": control.as_dict()}
            print("arithmetic", row, named, control, flush=True)
    elif args.part == "projection":
        results, _, _ = projection(trained, args.project, args.random_latents, args.encoder_steps)
        print("projection", results, flush=True)
    else:  # the first 8 held-out test images, projected by `ganforge project`'s defaults, and the other pictures
        test = load_dataset(dataclasses.replace(trained.config.data, split="test")).real()[:8].cpu()
        written = figures(args.figures, trained, pool, test, project(trained, test), args.amount[0])
        print("figures", written, flush=True)
    out = args.out or RESULTS / f"latent-mnist-{args.part}.json"
    write_json(out, {
        "command": "python -m benchmarks.latent " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])),
        "machine": machine_description(), "torch": torch.__version__, "note": args.note,
        "run": {"path": str(trained.path), "step": trained.step, "model": trained.config.model.name,
                "loss": trained.config.train.loss, "dataset": trained.config.data.name},
        "pool": args.pool, **results, "figures": written, "seconds": time.perf_counter() - began,
    })  # fmt: skip


if __name__ == "__main__":
    main()
