"""The ganforge command line. User errors become one line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from ganforge.commands_latent import COMMANDS as LATENT_COMMANDS
from ganforge.commands_text import generate
from ganforge.commands_video import predict_command
from ganforge.config import Config, apply_overrides
from ganforge.errors import GanforgeError, check_positive, check_seed, excerpt
from ganforge.output import Terminated, check_output, stop_on_sigterm, writing

log = logging.getLogger("ganforge")

# flag -> dotted config key; the same names for every command that takes them
TRAIN_FLAGS: dict[str, str] = {
    "preset": "preset",
    "model": "model.name",
    "loss": "train.loss",
    "dataset": "data.name",
    "data_dir": "data.data_dir",
    "image_size": "data.image_size",
    "steps": "train.steps",
    "time": "train.time",
    "batch_size": "train.batch_size",
    "optimizer": "optim.name",
    "lr_g": "optim.lr_g",
    "lr_d": "optim.lr_d",
    "betas": "optim.betas",
    "d_steps": "train.d_steps",
    "prior": "model.prior",
    "z_dim": "model.z_dim",
    "seed": "train.seed",
    "device": "train.device",
    "out": "out",
    "sample_every": "train.sample_every",
    "checkpoint_every": "train.checkpoint_every",
    "on_divergence": "train.on_divergence",
    "deterministic": "train.deterministic",
    "eval_every": "train.eval_every",
    "on_alarm": "train.on_alarm",
    "condition": "model.condition",
    "task": "task.name",
    "ema": "train.ema",
    "augment": "train.augment",
    "pack": "train.pack",
    "init_from": "train.init_from",
    "tensorboard": "train.tensorboard",
}


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="ganforge")
def cli() -> None:
    """ganforge: train, sample and inspect generative adversarial networks."""


@cli.command()
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="A YAML config; flags override it.")
@click.option("--preset", help="A paper's settings, under --config and flags (see 'ganforge presets'); default "
              "'auto', the dataset's own preset (fast for images), unless --model is given.")
@click.option("--model", help="Network: mlp (the tutorial MLP), dcgan or maxout (default: the preset's).")
@click.option("--loss", help="GAN variant: non-saturating (default), minimax, wgan, wgan-gp, hinge or lsgan.")
@click.option("--dataset", help="mnist (default), fashion-mnist, cifar10, ring, grid, folder:PATH, or task data.")
@click.option("--data-dir", help="A folder holding the dataset's files (else $GANFORGE_DATA).")
@click.option("--image-size", help="Resize images to this side (e.g. 32 or 64) or height x width (e.g. 48x32).")
@click.option("--steps", type=int, help="Generator updates to train for (default: the preset's or network's).")
@click.option("--time", help="A training-time budget, e.g. 90s, 2m or 1h: stops at --steps or --time, whichever first.")
@click.option("--batch-size", type=int, help="Minibatch size m (default 128).")
@click.option("--optimizer", help="adam (default), sgd (with momentum, as in the 2014 paper) or rmsprop (WGAN).")
@click.option("--lr-g", type=float, help="G's learning rate (default: the model's paper value).")
@click.option("--lr-d", type=float, help="D's learning rate; may differ from G's (TTUR, Heusel 2017).")
@click.option("--betas", help="Adam's betas as 'b1,b2' (default: the model's paper value).")
@click.option("--d-steps", type=int, help="k: D updates per G update (Algorithm 1; default 1).")
@click.option("--prior", help="Latent prior: normal (default) or uniform in [-1, 1].")
@click.option("--z-dim", type=int, help="Latent size (default 100).")
@click.option("--seed", type=int, help="Random seed (default 0).")
@click.option("--device", help="auto (default), cpu, cuda or cuda:N.")
@click.option("--out", help="The run folder (default runs/<dataset>-<model>-<loss>).")
@click.option("--sample-every", type=int, help="Save a sample grid every N steps (default 1000).")
@click.option("--checkpoint-every", type=int, help="Keep a numbered checkpoint every N steps (default 5000).")
@click.option("--on-divergence", help="stop (default) or rollback: reload the last good checkpoint, lower the LRs.")
@click.option("--deterministic", is_flag=True, default=None, help="GPU: deterministic kernels only (slower).")
@click.option("--eval-every", type=int, help="Measure the generator every N steps (see --set train.eval_metrics).")
@click.option("--on-alarm", help="warn (default) or stop: what a training-health alarm does.")
@click.option("--condition", help="Class labels: none (default), concat (cGAN), projection or acgan.")
@click.option("--task", help="An image-to-image task: pix2pix, cyclegan, srgan or inpaint (docs/applications.md).")
@click.option("--ema", type=float, help="Keep G_ema, a moving average of G with this decay (e.g. 0.999), for sampling.")
@click.option("--augment", help="D's input: DiffAugment policies, e.g. translation,cutout,color, or ada (images).")
@click.option("--pack", type=int, help="PacGAN: D judges packs of this many samples (default 1: off).")
@click.option("--tensorboard", is_flag=True, default=None, help="Also write TensorBoard events into RUN/tensorboard.")
@click.option("--init-from", help="Fine-tune: start G and D from this run's weights (fresh optimisers, a new run).")
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Set any config key, e.g. --set model.g_hidden=256,256 (repeatable).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--devices", type=int, help="Train on N processes of this machine (one per GPU) through torchrun.")
def train(config_file: str | None, settings: tuple[str, ...], quiet: bool, devices: int | None, **flags: Any) -> None:
    """Train a GAN. With no options: the fast DCGAN on MNIST (--preset gan: the tutorial MLP GAN)."""
    from ganforge.api import train as train_run
    from ganforge.resolve import command_line_defaults

    cfg = Config.load(config_file) if config_file else Config()
    cfg = apply_overrides(cfg, _overrides(flags, settings), source="the command line")
    cfg = command_line_defaults(cfg)  # naming neither a preset nor --model: the dataset's preset
    _start_processes(devices, cfg)
    path = train_run(cfg, progress=not quiet)
    _done(path)


@cli.command()
@click.argument("run", type=click.Path())
@click.option("--steps", type=int, help="Train up to this many steps in total (default: the run's config).")
@click.option("--time", help="Train up to this much training time in total, e.g. 5m (default: the run's budget).")
@click.option("--device", help="auto, cpu, cuda or cuda:N (default: the run's).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--devices", type=int, help="Continue on N processes of this machine (any number, not the run's).")
def resume(
    run: str, steps: int | None, time: str | None, device: str | None, quiet: bool, devices: int | None
) -> None:
    """Continue RUN from its latest checkpoint."""
    from ganforge.api import resume as resume_run
    from ganforge.run import RunDir

    if devices is not None:
        cfg = RunDir.open(run).read_config()
        _start_processes(devices, cfg if device is None else apply_overrides(cfg, {"train.device": device}))
    path = resume_run(run, steps=steps, device=device, progress=not quiet, time=time)
    _done(path)


def _start_processes(devices: int | None, cfg: Config) -> None:
    """``--devices N`` (N > 1): check the config for N processes, then rerun this command line under torchrun."""
    if devices is None:
        return
    from ganforge.distributed import check_devices, check_world, launch
    from ganforge.resolve import resolve

    check_devices(devices, cfg.train.device)
    if devices == 1:
        return
    check_world(resolve(cfg), devices)  # a mistake shows here once, not from every process
    context = click.get_current_context().find_root()
    argv = (context.obj or {}).get("argv", sys.argv[1:])
    sys.exit(launch(argv, devices))


def _done(path: Path) -> None:
    from ganforge.engine import launched_rank

    if launched_rank() == 0:  # under torchrun, say it once
        click.echo(f"done: {path}/final.png, {path}/losses.png, {path}/progress.gif")


@cli.command()
@click.argument("run", type=click.Path())
@click.option("--n", "count", type=int, default=64, show_default=True, help="How many samples.")
@click.option("--out", required=True, help="A .png grid, or .npy (float32 in [-1, 1]; N x C x H x W or N x 2).")
@click.option("--seed", type=int, default=0, show_default=True, help="Latent seed.")
@click.option("--batch-size", type=int, default=500, show_default=True, help="Samples generated at once.")
@click.option("--device", default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
@click.option("--class", "class_", type=int, help="A conditional run: draw every sample of this class (0..K-1).")
@click.option("--truncation", type=float, help="The truncation trick: redraw latent values beyond +-T (e.g. 1.0).")
def sample(
    run: str, count: int, out: str, seed: int, batch_size: int, device: str, overwrite: bool, class_: int | None,
    truncation: float | None,
) -> None:
    """Draw N samples from a trained RUN."""
    import numpy as np

    from ganforge.api import load
    from ganforge.atomic import atomic_path
    from ganforge.viz.grid import save_samples

    target = _output_file(out, (".png", ".npy"), overwrite, run)
    check_positive("--n", count)
    check_positive("--batch-size", batch_size)
    check_seed("--seed", seed)
    trained = load(run, device=device)
    samples = trained.sample(count, seed=seed, batch_size=batch_size, class_=class_, truncation=truncation)
    with writing(target, "--out"):
        if target.suffix == ".npy":
            with atomic_path(target) as tmp, open(tmp, "wb") as handle:
                np.save(handle, samples.numpy().astype(np.float32))
        else:
            save_samples(samples, target)
    of_class = "" if class_ is None else f" of class {class_}"
    truncated = "" if truncation is None else f", latents truncated to +-{truncation:g}"
    click.echo(f"{count} samples{of_class} from step {trained.step}{truncated} -> {target}")


@cli.command()
@click.argument("run", type=click.Path())
@click.option("--out", required=True, help="A .png grid.")
@click.option("--columns", type=int, default=10, show_default=True, help="Images per row (values of a sweep).")
@click.option("--span", type=float, default=2.0, show_default=True,
              help="InfoGAN: sweep continuous codes from -SPAN to SPAN (training drew them from [-1, 1]).")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the fixed latents.")
@click.option("--device", default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def traverse(run: str, out: str, columns: int, span: float, seed: int, device: str, overwrite: bool) -> None:
    """Vary one code of RUN at a time: InfoGAN codes (a row per category, then sweeps of each continuous
    code), or for a conditional run one row per class."""
    from ganforge.api import load
    from ganforge.viz.grid import save_image_grid
    from ganforge.viz.traverse import traversal

    target = _output_file(out, (".png",), overwrite, run)
    check_positive("--columns", columns)
    check_seed("--seed", seed)
    if not span > 0:
        raise GanforgeError(f"--span {span} must be positive", "e.g. --span 2 (or 1 for the prior's range)")
    trained = load(run, device=device)
    images, nrow = traversal(trained, columns=columns, seed=seed, span=span)
    with writing(target, "--out"):
        save_image_grid(images, target, nrow=nrow)
    click.echo(f"{len(images) // nrow} rows of {nrow} from step {trained.step} -> {target}")


@cli.command()
@click.argument("run", type=click.Path())
@click.option("--out", required=True, help="A .gif animation or a .png strip.")
@click.option("--walks", type=int, default=8, show_default=True, help="Independent walks shown side by side.")
@click.option("--keyframes", type=int, default=4, show_default=True, help="Random latents each walk visits.")
@click.option("--steps", type=int, default=16, show_default=True, help="Frames between two keyframes.")
@click.option(
    "--mode",
    type=click.Choice(["slerp", "lerp"]),
    default="slerp",
    show_default=True,
    help="Spherical (suits a normal prior) or linear interpolation.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def interpolate(
    run: str, out: str, walks: int, keyframes: int, steps: int, mode: str, seed: int, device: str, overwrite: bool
) -> None:
    """Walk through RUN's latent space between random points."""
    import math

    import torch

    from ganforge.api import load
    from ganforge.limits import check_sample_count
    from ganforge.viz.interpolate import latent_walk, save_interpolation

    target = _output_file(out, (".gif", ".png"), overwrite, run)
    for flag, value in (("--walks", walks), ("--steps", steps), ("--keyframes", keyframes)):
        check_positive(flag, value)
    check_seed("--seed", seed)
    if keyframes < 2:
        raise GanforgeError(f"--keyframes {keyframes} is too few to walk between", "give --keyframes 2 or more")
    trained = load(run, device=device)
    if len(trained.data_shape) != 3:
        raise GanforgeError(f"{run} generates 2-D points, not images", "interpolate a run trained on images")
    pictures = walks * (steps * (keyframes - 1) + 1)  # every picture of every walk, before any is drawn
    check_sample_count(pictures, math.prod(trained.data_shape) + trained.gan.z_dim, "frames (--walks x --steps)")
    z = trained.latents(walks * keyframes, seed).view(walks, keyframes, -1)
    path = torch.stack([latent_walk(z[i], steps, mode) for i in range(walks)], dim=1)  # (T, walks, z_dim)
    labels = None
    if trained.num_classes:  # a conditional run: each walk keeps one class (walk i shows class i mod K)
        labels = torch.arange(walks).repeat(path.shape[0]) % trained.num_classes
    frames = trained.generate(path.flatten(0, 1), labels=labels).view(path.shape[0], walks, *trained.data_shape)
    with writing(target, "--out"):
        save_interpolation(frames, target)
    click.echo(f"{walks} {mode} walks of {path.shape[0]} frames from step {trained.step} -> {target}")


@cli.command()
@click.argument("run", type=click.Path())
@click.option("--input", "source", required=True, help="Images: a .npy (N x C x H x W), an image file or a folder.")
@click.option("--out", required=True, help="A .npy (float32 in [-1, 1]), a .png grid of input | output, or a folder.")
@click.option("--reverse", is_flag=True, help="cyclegan runs: translate B -> A instead of A -> B.")
@click.option("--seed", type=int, default=0, show_default=True, help="inpaint runs with random boxes: the holes' seed.")
@click.option("--batch-size", type=int, default=500, show_default=True, help="Images translated at once.")
@click.option("--device", default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def translate(
    run: str, source: str, out: str, reverse: bool, seed: int, batch_size: int, device: str, overwrite: bool
) -> None:
    """Apply the generator of an image-to-image RUN (pix2pix, cyclegan, srgan, inpaint) to new images."""
    from ganforge.translate import translate as translate_images

    check_positive("--batch-size", batch_size)
    check_seed("--seed", seed)
    done = translate_images(run, source, out, reverse, seed, device, batch_size, overwrite)
    click.echo(f"{done.count} images translated by step {done.step} -> {done.out}")


@cli.command()
@click.argument("run", type=click.Path())
@click.option("--format", "fmt", required=True, help="onnx, or pt2 (torch.export; TorchScript is deprecated).")
@click.option("--out", required=True, help="The file: G.onnx or G.pt2 (its description goes beside it, FILE.json).")
@click.option("--input", "source", help="Task runs: images to check the file on (a .npy, an image or a folder).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the latents the file is checked on.")
@click.option("--overwrite", is_flag=True, help="Replace --out and its .json if they exist.")
def export(run: str, fmt: str, out: str, source: str | None, seed: int, overwrite: bool) -> None:
    """Export RUN's sampling generator (G_ema where kept) as one file that runs without ganforge."""
    from ganforge.export import export_run

    done = export_run(run, fmt, out, overwrite=overwrite, images=source, seed=seed)
    inputs = ", ".join(f"{spec['name']} {'x'.join(str(side) for side in spec['shape'])}" for spec in done["inputs"])
    difference = done["max_abs_difference"]
    checked = "not run (install onnxruntime to check it)" if difference is None else f"{difference:.1e}"
    click.echo(f"{done['generator']} at step {done['step']} -> {out} (inputs: {inputs}); "
               f"max |difference| from ganforge: {checked}; described in {out}.json")  # fmt: skip


@cli.command(name="eval")
@click.argument("run", required=False, type=click.Path())
@click.option("--metrics", help="Comma-separated: fid, kid, is, precision-recall, density-coverage, classes, "
              "modes, stacked-modes, parzen (default: all that fit the data but parzen).")  # fmt: skip
@click.option("--n", "count", type=int, default=10_000, show_default=True, help="Samples (and real images).")
@click.option("--extractor", help="Feature space: mnist-cnn, fashion-cnn, inception (default: the dataset's).")
@click.option("--split", type=click.Choice(["test", "train"]), default="test", show_default=True,
              help="Real data to compare with.")  # fmt: skip
@click.option("--real", "real_npy", type=click.Path(), help="Compare two .npy sample sets instead of a RUN.")
@click.option("--fake", "fake_npy", type=click.Path(), help="With --real: the generated .npy samples.")
@click.option("--batch-size", type=int, default=500, show_default=True, help="Images per extractor batch.")
@click.option("--device", default="auto", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
@click.option("--truncation", type=float, help="Measure samples drawn with the truncation trick at this threshold.")
def evaluate(
    run: str | None,
    metrics: str | None,
    count: int,
    extractor: str | None,
    split: str,
    real_npy: str | None,
    fake_npy: str | None,
    batch_size: int,
    device: str,
    as_json: bool,
    truncation: float | None,
) -> None:
    """Measure RUN's generator (writes RUN/eval.json), or compare --real A.npy with --fake B.npy."""
    import json

    from ganforge import evaluate as evaluation

    check_positive("--n", count)
    check_positive("--batch-size", batch_size)
    if truncation is not None and run is None:
        raise GanforgeError("--truncation draws a RUN's samples; it does not apply to --real/--fake", "give a RUN")
    if run is not None and (real_npy or fake_npy):
        raise GanforgeError("give a RUN or --real/--fake, not both", "see 'ganforge eval --help'")
    if run is None:
        if not (real_npy and fake_npy):
            raise GanforgeError("nothing to evaluate", "give a RUN folder, or --real A.npy --fake B.npy")
        from ganforge.engine import pick_device

        result = evaluation.evaluate_arrays(real_npy, fake_npy, metrics, extractor, pick_device(device), batch_size)
    else:
        result = evaluation.evaluate_run(run, metrics, count, extractor, split, device, batch_size,
                                         truncation=truncation)  # fmt: skip
    from ganforge.engine import launched_rank

    if launched_rank() != 0:  # under torchrun rank 0 says it
        return
    if as_json:
        click.echo(json.dumps(result["metrics"]))
        return
    where = f"{run} at step {result['step']}" if run else f"{fake_npy} against {real_npy}"
    click.echo(f"{where}, in {result.get('space', 'the ' + result['extractor'] + ' feature space')}:")
    values = _flat(result["metrics"])  # text2image nests its measures: model/seen/colour, real/fid, ...
    width = max(len(name) for name in values)
    for name, value in values.items():
        click.echo(f"  {name:<{width}}  {value:.4g}")
    if run:
        click.echo(f"wrote {Path(run) / 'eval.json'}")


@cli.command()
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="A config file, with an optional 'sweep:' section (seeds, set, metric, eval_n).")  # fmt: skip
@click.option("--seeds", help="Member seeds: '0-15', '0,3,7' (default 0).")
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=V1,V2",
    help="A setting for every member, or several values to sweep (every combination); lists in brackets.",
)
@click.option("--preset", help="A paper's settings (see 'ganforge presets').")
@click.option("--model", help="Network: mlp (batched) or dcgan (trained one after another).")
@click.option("--loss", help="GAN variant (see 'ganforge train --help').")
@click.option("--dataset", help="mnist (default), fashion-mnist, ring, grid, ...")
@click.option("--steps", type=int, help="Generator updates per member.")
@click.option("--batch-size", type=int, help="Minibatch size m per member.")
@click.option("--device", help="auto (default), cpu, cuda or cuda:N.")
@click.option("--out", required=True, help="The sweep folder: one run folder per member, summary.md/.json.")
@click.option("--metric", help="Rank by: fid (images, default), modes (2-D, default), kid, is, ... or none.")
@click.option("--eval-n", type=int, help="Samples per member for the ranking metric (default 2000).")
@click.option("--sequential", is_flag=True, help="Train members one after another (to compare speed).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def sweep(
    config_file: str | None, seeds: str | None, settings: tuple[str, ...], out: str, metric: str | None,
    eval_n: int | None, sequential: bool, quiet: bool, **flags: Any,
) -> None:  # fmt: skip
    """Train many small GANs at once (seeds x values), each leaving a normal run folder, and rank them."""
    from ganforge.sweep import SweepSpec, load_sweep_file, parse_seeds, parse_setting, run_sweep, summary_table

    values, section = load_sweep_file(config_file) if config_file else ({}, {})
    base = Config.from_dict(values, source=config_file or "config")
    base = apply_overrides(base, _overrides(flags, ()), source="the command line")
    grid = {key: list(v) if isinstance(v, list) else [v] for key, v in (section.get("set") or {}).items()}
    for setting in settings:
        key, choices = parse_setting(setting)
        grid[key] = choices
    fixed = {key: choices[0] for key, choices in grid.items() if len(choices) == 1}
    base = apply_overrides(base, fixed, source="--set")
    eval_n = eval_n if eval_n is not None else section.get("eval_n", 2000)
    check_positive("--eval-n", eval_n)
    spec = SweepSpec(
        base=base,
        out=Path(out),
        seeds=parse_seeds(seeds if seeds is not None else section.get("seeds", 0)),
        grid={key: choices for key, choices in grid.items() if len(choices) > 1},
        metric=metric or section.get("metric"),
        eval_n=eval_n,
        sequential=sequential,
    )
    summary = run_sweep(spec, progress=not quiet)
    click.echo(summary_table(summary))
    click.echo(f"wrote {Path(out) / 'summary.md'} and summary.json")


@cli.command()
@click.argument("run", type=click.Path())
@click.option("--out", help="Where to write the HTML (default RUN/report.html).")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists (RUN/report.html is always replaced).")
def report(run: str, out: str | None, overwrite: bool) -> None:
    """Write one self-contained HTML report of RUN: config, samples, animation, curves, metrics."""
    from ganforge.report import write_report

    click.echo(f"wrote {write_report(run, Path(out) if out else None, overwrite=overwrite)}")


@cli.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path())
@click.option("--metric", help="What to plot against step (default: the first eval/ metric, else loss/G).")
@click.option("--out", help="A .png plot of the metric against step for every run.")
def compare(runs: tuple[str, ...], metric: str | None, out: str | None) -> None:
    """Compare several runs: one table, and optionally one plot."""
    from ganforge.compare import compare_runs

    table, plot = compare_runs(list(runs), metric, Path(out) if out else None)
    click.echo(table)
    if plot:
        click.echo(f"wrote {plot}")


@cli.command()
@click.argument("run", type=click.Path())
def doctor(run: str) -> None:
    """Diagnose RUN (finished or still training): its health signals and every alarm, in plain words."""
    from ganforge.health import report_card
    from ganforge.run import RunDir

    folder = RunDir.open(run)
    cfg = folder.read_config()
    click.echo(report_card(folder.read_metrics(), cfg.train.loss, cfg.train.steps or 0))


@cli.command()
@click.argument("run", type=click.Path())
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (this machine only).")
@click.option("--port", type=int, default=8000, show_default=True, help="TCP port.")
@click.option("--device", default="cpu", show_default=True, help="Where G runs: cpu, auto, cuda or cuda:N.")
def serve(run: str, host: str, port: int, device: str) -> None:
    """Explore RUN in the browser: samples, interpolation, directions, live training, the 2-D game."""
    from ganforge.serve import serve as serve_run

    serve_run(run, host=host, port=port, device=device)


@cli.command(name="presets")
def list_presets() -> None:
    """List the presets (train --preset NAME): each paper and the settings it applies."""
    from ganforge.presets import PRESETS, describe

    click.echo("\n\n".join(describe(name) for name in PRESETS))


@cli.command()
@click.option("--data-dir", help="Also look in this folder.")
def datasets(data_dir: str | None) -> None:
    """List the datasets, where each would load from, and whether it is available now."""
    from ganforge.data import describe_datasets

    rows = describe_datasets(data_dir)
    width = max(len(row["name"]) for row in rows)
    for row in rows:
        status = "available" if row["available"] else "not available"
        click.echo(f"{row['name']:<{width}}  {row['kind']:<6}  {status:<13}  {row['source']}")
        click.echo(f"{'':<{width}}  {row['description']}")
        if row["preset"]:
            click.echo(f"{'':<{width}}  trains with --preset {row['preset']} unless a preset or --model is given")


def _overrides(flags: dict[str, Any], settings: tuple[str, ...]) -> dict[str, Any]:
    overrides = {TRAIN_FLAGS[name]: value for name, value in flags.items() if value is not None}
    for setting in settings:
        key, sep, value = setting.partition("=")
        if not sep or not key:
            raise GanforgeError(f"--set {excerpt(setting)} is not KEY=VALUE", "e.g. --set train.log_every=50")
        overrides[key.strip()] = _yaml_value(value)
    return overrides


def _yaml_value(text: str) -> Any:
    from ganforge.config import load_yaml

    try:
        return load_yaml(text, "--set")
    except GanforgeError:  # not YAML: the text itself (a name, a path)
        return text


cli.add_command(predict_command)  # ganforge predict: video runs (commands_video.py)


def _output_file(out: str, suffixes: tuple[str, ...], overwrite: bool, run: str) -> Path:
    """``--out`` checked before any work (output.check_output: writable, no surprise overwrite, not a run file)."""
    return check_output(out, "--out", suffixes, overwrite, run=run)


def _flat(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested measures as one level of slash-joined names."""
    flat: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{name}/"))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def _one_line(text: str) -> str:
    """Escape line breaks and other control characters (from a user's value) so an error stays one line."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text.replace("\n", " "))


for _command in LATENT_COMMANDS:  # attributes, arithmetic, edit, project (docs/latent.md)
    cli.add_command(_command)
cli.add_command(generate)  # text2image: ganforge generate RUN --text "..." (commands_text.py)

def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command, turning user errors into one line and exit code 2."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("ganforge: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        arguments = list(sys.argv[1:] if argv is None else argv)  # kept for --devices, which reruns them
        with stop_on_sigterm():  # SIGTERM unwinds like Ctrl-C: every temporary file is removed on the way out
            cli.main(args=arguments, prog_name="ganforge", standalone_mode=False, obj={"argv": arguments})
    except Terminated as stop:
        click.echo(f"error: {stop} received: stopped; no partial output was left behind", err=True)
        sys.exit(128 + stop.signum)
    except KeyboardInterrupt:  # Ctrl-C outside click's own handling (e.g. while modules load)
        click.echo("aborted", err=True)
        sys.exit(130)
    except GanforgeError as error:
        click.echo(f"error: {_one_line(str(error))}", err=True)
        sys.exit(getattr(error, "exit_code", 2))
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as error:
        command = error.ctx.command_path if getattr(error, "ctx", None) else "ganforge"
        click.echo(f"error: {_one_line(error.format_message())} (see '{command} --help')", err=True)
        sys.exit(2)
    finally:
        log.removeHandler(handler)
