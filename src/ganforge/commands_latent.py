"""The latent-space commands: ``ganforge attributes``, ``arithmetic``, ``edit`` and ``project`` (docs/latent.md).

Each parses its flags, checks ``--out`` before any work, calls ``ganforge.latent`` and prints one line per
result; bad input is one ``GanforgeError`` line and exit code 2 (``cli.main``).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
import torch

from ganforge.atomic import atomic_path
from ganforge.errors import GanforgeError, check_positive, check_seed
from ganforge.latent.arithmetic import EXEMPLARS, NEIGHBOURS, arithmetic, check_unconditional, figure
from ganforge.latent.attributes import UNITS, check_attribute, summary_table
from ganforge.latent.directions import METHODS, edit_latents, find_direction
from ganforge.latent.encoder import STEPS as ENCODER_STEPS
from ganforge.latent.encoder import encoder_for
from ganforge.latent.pool import POOL_SIZE, image_run_dataset, make_pool
from ganforge.latent.project import CANDIDATES, STARTS, STEPS, check_targets, project
from ganforge.limits import load_npy
from ganforge.output import check_output, writing
from ganforge.trained import TrainedGAN, load
from ganforge.translate import read_images
from ganforge.viz.grid import save_image_grid

POOL_HELP = "Samples drawn and measured to choose exemplars and fit directions."


def _load_image_run(run: str, device: str) -> TrainedGAN:
    trained = load(run, device=device)
    image_run_dataset(trained)  # a one-line error for a run of 2-D points or an image-to-image run
    trained.latents(1)
    return trained


def _save_npy(target: Path, array: np.ndarray) -> None:
    with writing(target, "--out"), atomic_path(target) as tmp, open(tmp, "wb") as handle:
        np.save(handle, array.astype(np.float32))


@click.command()
@click.argument("run", type=click.Path())
@click.option("--n", "count", type=int, default=POOL_SIZE, show_default=True, help="Samples to measure.")
@click.option("--seed", type=int, default=0, show_default=True, help="Latent seed of the samples.")
@click.option("--out", help="Also write the table (and every sample's values) as .json.")
@click.option("--device", default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def attributes(run: str, count: int, seed: int, out: str | None, device: str, overwrite: bool) -> None:
    """How each measured attribute (Morpho-MNIST's for digits; area, brightness, width, height for garments)
    and the classifier's class are distributed over N samples of RUN."""
    target = None if out is None else check_output(out, "--out", (".json",), overwrite, run=run)
    check_positive("--n", count)
    check_seed("--seed", seed)
    trained = _load_image_run(run, device)
    pool = make_pool(trained, count, seed)
    rows = summary_table(pool.measurements, pool.dataset)
    click.echo(f"{count} samples of {pool.dataset} from step {trained.step} (seed {seed})")
    click.echo(f"{'attribute':<11} {'unit':<6} {'mean':>8} {'std':>8} {'p5':>8} {'p25':>8} {'p50':>8} {'p75':>8} "
               f"{'p95':>8}")  # fmt: skip
    for row in rows:
        if row["attribute"] == "class":
            shares = "  ".join(f"{key}:{value:.2f}" for key, value in row.items() if key not in ("attribute", "unit"))
            click.echo(f"{'class':<11} {'share':<6} {shares}")
            continue
        numbers = " ".join(f"{row[key]:>8.3f}" for key in ("mean", "std", "p5", "p25", "p50", "p75", "p95"))
        click.echo(f"{row['attribute']:<11} {row['unit']:<6} {numbers}")
    if target is not None:
        values = {name: value.round(4).tolist() for name, value in pool.measurements.values.items()}
        if pool.measurements.classes is not None:
            values["class"] = pool.measurements.classes.tolist()
        document = {"run": str(trained.path), "step": trained.step, "n": count, "seed": seed, "units": UNITS,
                    "table": rows, "samples": values}  # fmt: skip
        with writing(target, "--out"), atomic_path(target) as tmp:
            Path(tmp).write_text(json.dumps(document, indent=1) + "\n")
        click.echo(f"table -> {target}")


@click.command(name="arithmetic")
@click.argument("run", type=click.Path())
@click.argument("expression")
@click.option("--out", required=True, help="A .png of DCGAN's figure 7, or .npy of the result's latent.")
@click.option("--pool", "pool_size", type=int, default=POOL_SIZE, show_default=True, help=POOL_HELP)
@click.option("--exemplars", type=int, default=EXEMPLARS, show_default=True, help="Samples averaged per concept.")
@click.option("--neighbours", type=int, default=NEIGHBOURS, show_default=True,
              help="The result's neighbours under small noise shown beside it.")  # fmt: skip
@click.option("--straight", is_flag=True, help="The paper's straight sum, without walking the base concept (the "
              "one added last) by the rest so that it keeps its class.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the pool and the exemplars drawn.")
@click.option("--device", default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def arithmetic_command(run: str, expression: str, out: str, pool_size: int, exemplars: int, neighbours: int,
                       straight: bool, seed: int, device: str, overwrite: bool) -> None:  # fmt: skip
    """Vector arithmetic on RUN's latents, e.g. "thick 3 - thin 3 + thin 7" (the syntax: docs/latent.md)."""
    from ganforge.latent.query import parse_expression

    target = check_output(out, "--out", (".png", ".npy"), overwrite, run=run)
    check_positive("--pool", pool_size)
    check_positive("--exemplars", exemplars)
    check_positive("--neighbours", neighbours)
    check_seed("--seed", seed)
    trained = _load_image_run(run, device)
    parse_expression(expression, trained.config.data.name)  # syntax errors before any sampling
    check_unconditional(trained)
    pool = make_pool(trained, pool_size, seed)
    result = arithmetic(pool, expression, exemplars, seed, keep_class=None if straight else trained)
    for term, index in zip(result.terms, result.exemplars, strict=True):
        sign = "+" if term.sign > 0 else "-"
        click.echo(f"{sign} {term.concept.text}: samples {', '.join(map(str, index.tolist()))}")
    if target.suffix == ".npy":
        _save_npy(target, result.result[None].numpy())
    else:
        images, width = figure(trained, pool, result, neighbours, seed)
        with writing(target, "--out"):
            save_image_grid(images, target, nrow=width)
    click.echo(f"result of {len(result.terms)} concepts from step {trained.step} -> {target}")


@click.command()
@click.argument("run", type=click.Path())
@click.option("--attribute", "name", required=True, help="The attribute to change (see 'ganforge attributes').")
@click.option("--amount", type=float, default=3.0, show_default=True,
              help="How far, in standard deviations of the latents' projection on the direction; negative lowers it.")
@click.option("--out", required=True, help="A .png of strips (a row per sample, -AMOUNT .. +AMOUNT), or .npy latents.")
@click.option("--input", "source", help="Latents to edit (.npy, N x z_dim, e.g. from 'ganforge project').")
@click.option("--n", "count", type=int, default=8, show_default=True, help="Samples to edit without --input.")
@click.option("--columns", type=int, default=7, show_default=True, help="Images per strip.")
@click.option("--method", type=click.Choice(METHODS), default="halves", show_default=True,
              help="The direction: a linear model's normal fitted on each half of the pool (halves; an edit "
              "follows the half it moves towards), on the whole pool (InterFaceGAN), or a difference of means.")
@click.option("--straight", is_flag=True, help="Move in a straight line (z + amount sigma n), without bending the "
              "walk to keep the classifier's class.")
@click.option("--pool", "pool_size", type=int, default=POOL_SIZE, show_default=True, help=POOL_HELP)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the pool; the samples use seed + 1.")
@click.option("--device", default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def edit(run: str, name: str, amount: float, out: str, source: str | None, count: int, columns: int, method: str,
         straight: bool, pool_size: int, seed: int, device: str, overwrite: bool) -> None:  # fmt: skip
    """Move samples of RUN (or projected latents) along the named attribute's direction."""
    target = check_output(out, "--out", (".png", ".npy"), overwrite, run=run)
    for flag, value in (("--n", count), ("--columns", columns), ("--pool", pool_size)):
        check_positive(flag, value)
    check_seed("--seed", seed)
    if not np.isfinite(amount) or amount == 0:
        raise GanforgeError(f"--amount {amount} must be a finite, non-zero number", "e.g. --amount 2 or --amount -2")
    trained = _load_image_run(run, device)
    check_attribute(name, trained.config.data.name)
    z = _read_latents(Path(source), trained) if source else trained.latents(count, seed + 1).cpu()
    pool = make_pool(trained, pool_size, seed)
    direction = find_direction(pool, name, method)
    if target.suffix == ".npy":
        _save_npy(target, edit_latents(trained, pool, z, direction, amount, not straight).numpy())
    else:
        steps = torch.linspace(-abs(amount), abs(amount), columns) * (1 if amount > 0 else -1)
        path = torch.stack([edit_latents(trained, pool, z, direction, float(step), not straight) if step else z
                            for step in steps], dim=1)  # (N, columns, z_dim)  # fmt: skip
        labels = None
        if trained.num_classes:  # each strip keeps its sample's class
            labels = (torch.arange(len(z)) % trained.num_classes).repeat_interleave(columns)
        images = trained.generate(path.flatten(0, 1), labels=labels)
        with writing(target, "--out"):
            save_image_grid(images, target, nrow=columns)
    click.echo(f"{len(z)} samples along '{name}' by {amount:+g} sd (step {direction.step_length(amount):.2f}) "
               f"from step {trained.step} -> {target}")  # fmt: skip


def _read_latents(path: Path, trained: TrainedGAN) -> torch.Tensor:
    if not path.is_file() or path.suffix.lower() != ".npy":
        raise GanforgeError(f"--input {path} is not a .npy file", "give latents saved by 'ganforge project' (.npy)")
    array = load_npy(path)
    z_dim = trained.gan.z_dim
    if array.ndim != 2 or array.shape[1] != z_dim or not np.issubdtype(array.dtype, np.floating):
        raise GanforgeError(f"--input {path} holds {array.dtype} of shape {array.shape}",
                            f"give float latents shaped N x {z_dim} for this run")  # fmt: skip
    if len(array) == 0 or not np.isfinite(array).all():
        raise GanforgeError(f"--input {path} holds no latents or non-finite values", "give finite latents")
    return torch.from_numpy(array.astype(np.float32))


@click.command(name="project")
@click.argument("run", type=click.Path())
@click.option("--input", "source", required=True, help="An image, a folder of images or a .npy (N x C x H x W).")
@click.option("--out", required=True, help="A .npy of the latents (N x z_dim, float32; rows in file-name order).")
@click.option("--picture", help="Also a .png of each image beside its projection.")
@click.option("--starts", type=int, default=STARTS, show_default=True, help="Optimisations run per image.")
@click.option("--steps", type=int, default=STEPS, show_default=True, help="Adam steps per start.")
@click.option("--candidates", type=int, default=CANDIDATES, show_default=True,
              help="Random latents the starts are the best of.")  # fmt: skip
@click.option("--encoder", "use_encoder", is_flag=True,
              help="Also start from the guess of a small encoder trained on G's own samples (trained on first use, "
              "then kept in RUN/encoders/ for this checkpoint).")  # fmt: skip
@click.option("--encoder-steps", type=int,
              help=f"Training steps of the encoder (with --encoder; default {ENCODER_STEPS}).")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace --out and --picture if they exist.")
def project_command(run: str, source: str, out: str, picture: str | None, starts: int, steps: int, candidates: int,
                    use_encoder: bool, encoder_steps: int | None, seed: int, device: str,
                    overwrite: bool) -> None:  # fmt: skip
    """Find latents whose images under RUN's G match real images (GAN inversion; docs/latent.md)."""
    import time

    target = check_output(out, "--out", (".npy",), overwrite, run=run)
    picture_path = None if picture is None else check_output(picture, "--picture", (".png",), overwrite, run=run)
    check_positive("--starts", starts)
    check_positive("--candidates", candidates)
    check_seed("--seed", seed)
    if steps < 0:
        raise GanforgeError(f"--steps {steps} must be 0 or more", f"e.g. --steps {STEPS}")
    if encoder_steps is not None and not use_encoder:
        raise GanforgeError(f"--encoder-steps {encoder_steps} without --encoder",
                            "add --encoder, or drop --encoder-steps")  # fmt: skip
    if encoder_steps is not None:
        check_positive("--encoder-steps", encoder_steps)
    trained = _load_image_run(run, device)
    _, height, width = trained.data_shape
    images, names = read_images(Path(source), size=(width, height))
    images = check_targets(trained, images, f"--input {source}")
    encoder = None
    if use_encoder:
        encoder, reused = encoder_for(trained, encoder_steps or ENCODER_STEPS, seed)
        how = "reused" if reused else f"trained in {encoder.seconds:.0f} s"
        click.echo(f"encoder for step {trained.step} {how} ({encoder.trained_for['steps']} steps)")
    began = time.perf_counter()
    result = project(trained, images, starts, steps, candidates, seed, encoder=encoder)
    seconds = time.perf_counter() - began
    _save_npy(target, result.z.numpy())
    if picture_path is not None:
        pairs = torch.stack([images, result.images], dim=1).flatten(0, 1)  # input | projection, side by side
        with writing(picture_path, "--picture"):
            save_image_grid(pairs, picture_path, nrow=min(8, 2 * len(images)))
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    click.echo(f"{len(images)} images ({shown}) projected in {seconds / len(images):.1f} s each -> {target}")


COMMANDS = (attributes, arithmetic_command, edit, project_command)
