"""The training loop: Algorithm 1 of Goodfellow et al. (2014), and everything around it.

    for each training step:
        for k (= d_steps) steps:
            sample a minibatch of m noise samples z and m examples x from the data
            update D by ascending its value function (descending its loss)
        sample a minibatch of m noise samples z
        update G by descending its loss

The loop owns optimisers, time and files; the GAN variant owns the losses; the data owns batches.
Values reach the host only once per logging interval (``stats.collect``).
"""

from __future__ import annotations

import logging
import math
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from tqdm import tqdm

from ganforge import stats
from ganforge.config import Config, OptimConfig
from ganforge.data import ImageData, PointData, load_dataset
from ganforge.engine import pick_device
from ganforge.errors import GanforgeError
from ganforge.gans import GAN, GANS
from ganforge.models import build_models
from ganforge.run import RunDir, load_checkpoint_file
from ganforge.viz.animate import make_gif
from ganforge.viz.grid import save_samples
from ganforge.viz.plots import plot_losses

log = logging.getLogger("ganforge")

POINT_SAMPLES = 1000  # 2-D runs plot this many fixed latents per frame: a cloud, not a grid
FINAL_SAMPLES = 100  # images in final.png (a 10 x 10 grid)


@dataclass
class Session:
    """Everything a run needs in memory: data, networks, optimisers, random streams and the step."""

    cfg: Config
    device: torch.device
    data: ImageData | PointData
    gan: GAN
    opt_G: torch.optim.Optimizer
    opt_D: torch.optim.Optimizer
    data_rng: torch.Generator  # draws real minibatches
    latent_rng: torch.Generator  # draws z for training steps
    fixed_z: torch.Tensor  # the latents every progress frame shows, so frames compare over training
    step: int = 0
    seconds: float = 0.0  # training time before this session (carried across resumes)


def make_optimizer(cfg: OptimConfig, params: Any, lr: float) -> torch.optim.Optimizer:
    """Adam, or SGD with momentum as in the 2014 paper."""
    if cfg.name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(cfg.betas))
    return torch.optim.SGD(params, lr=lr, momentum=cfg.momentum)


def build_session(cfg: Config) -> Session:
    """Load the data and build G, D, the optimisers and the seeded random streams for ``cfg`` (resolved)."""
    device = pick_device(cfg.train.device)
    data = load_dataset(cfg.data, device)
    with torch.random.fork_rng(devices=[]):  # seeded weights, without touching the caller's global RNG
        torch.manual_seed(cfg.train.seed)
        G, D = build_models(cfg.model, data.shape)
    gan = GANS[cfg.train.loss](G.to(device), D.to(device), cfg.model.z_dim, cfg.model.prior)
    seed = cfg.train.seed
    fixed_rng = torch.Generator(device).manual_seed(seed + 2)
    n_fixed = cfg.train.grid_size if data.kind == "image" else POINT_SAMPLES
    return Session(
        cfg=cfg,
        device=device,
        data=data,
        gan=gan,
        opt_G=make_optimizer(cfg.optim, G.parameters(), cfg.optim.lr_g),
        opt_D=make_optimizer(cfg.optim, D.parameters(), cfg.optim.lr_d),
        data_rng=torch.Generator(device).manual_seed(seed),
        latent_rng=torch.Generator(device).manual_seed(seed + 1),
        fixed_z=gan.sample_latent(n_fixed, fixed_rng),
    )


# -- the loop ----------------------------------------------------------------------------------------


def fit(session: Session, run: RunDir, progress: bool = True) -> None:
    """Train from ``session.step`` to ``cfg.train.steps``, logging, sampling and checkpointing into ``run``."""
    s, cfg = session, session.cfg.train
    G, D, gan = session.gan.G, session.gan.D, session.gan
    stats.reset()
    bar = tqdm(total=cfg.steps, initial=s.step, disable=not progress, unit="step", dynamic_ncols=True)
    started, last_time, last_step = time.perf_counter(), time.perf_counter(), s.step
    with _deferred_interrupt() as interrupted:
        while s.step < cfg.steps and not interrupted():
            G.train()
            D.train()
            # (1) k updates of D, each on a fresh real minibatch and a fresh noise minibatch
            for _ in range(cfg.d_steps):
                real, labels = s.data.batch(cfg.batch_size, s.data_rng)
                z = gan.sample_latent(cfg.batch_size, s.latent_rng)
                loss_D = gan.d_loss(real, z, labels)
                s.opt_D.zero_grad(set_to_none=True)
                loss_D.backward()
                s.opt_D.step()
                gan.after_d_step()

            # (2) one update of G on a fresh noise minibatch; D is held fixed (no gradients for its weights)
            z = gan.sample_latent(cfg.batch_size, s.latent_rng)
            D.requires_grad_(False)
            loss_G = gan.g_loss(z, labels)
            s.opt_G.zero_grad(set_to_none=True)
            loss_G.backward()
            s.opt_G.step()
            D.requires_grad_(True)
            s.step += 1

            done = s.step == cfg.steps
            if s.step % cfg.log_every == 0 or done:
                now = time.perf_counter()
                record = {"step": s.step, "time": round(s.seconds + now - started, 3), **stats.collect()}
                record["it/s"] = round((s.step - last_step) / max(now - last_time, 1e-9), 2)
                _check_finite(record, run)
                run.append_metrics(record)
                bar.update(s.step - bar.n)
                bar.set_postfix(_postfix(record), refresh=False)
                last_time, last_step = now, s.step
            if s.step % cfg.sample_every == 0 or done:
                save_samples_frame(s, run.sample_path(s.step), title=f"step {s.step}")
            if s.step % cfg.sample_every == 0 or s.step % cfg.checkpoint_every == 0 or done:
                s.seconds += time.perf_counter() - started
                started = time.perf_counter()
                save_checkpoint(s, run, keep=s.step % cfg.checkpoint_every == 0)
        stopped_early = s.step < cfg.steps
    bar.close()
    if stopped_early:
        s.seconds += time.perf_counter() - started
        save_checkpoint(s, run, keep=False)
        raise GanforgeError(
            f"training interrupted at step {s.step} of {cfg.steps}; checkpoint saved",
            f"continue with 'ganforge resume {run.path}'",
        )
    finish(s, run)


def _postfix(record: dict[str, Any]) -> dict[str, str]:
    keys = ("loss/D", "loss/G", "D(x)", "D(G(z))")
    return {key: f"{record[key]:.3f}" for key in keys if key in record}


def _check_finite(record: dict[str, Any], run: RunDir) -> None:
    bad = [key for key, value in record.items() if isinstance(value, float) and not math.isfinite(value)]
    if bad:
        run.append_metrics(record)
        raise GanforgeError(
            f"training diverged at step {record['step']}: {', '.join(bad)} became {record[bad[0]]}",
            "lower the learning rates (--lr-g, --lr-d) and train a new run",
        )


@contextmanager
def _deferred_interrupt() -> Iterator[Any]:
    """Turn the first Ctrl-C into a flag the loop checks between steps, so it stops at a clean step boundary
    and saves a checkpoint; a second Ctrl-C interrupts at once."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    flag = {"set": False}
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: Any) -> None:
        if flag["set"]:
            signal.signal(signal.SIGINT, previous)
            raise KeyboardInterrupt
        flag["set"] = True
        log.warning("stopping after this step and saving a checkpoint (Ctrl-C again to stop at once)")

    signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: flag["set"]
    finally:
        signal.signal(signal.SIGINT, previous)


# -- pictures ----------------------------------------------------------------------------------------


@torch.no_grad()
def render(gan: GAN, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """G(z) in eval mode (batch norm uses its running statistics), on the CPU."""
    was_training = gan.G.training
    gan.G.eval()
    try:
        return gan.generate(z, labels).float().cpu()
    finally:
        gan.G.train(was_training)


def save_samples_frame(s: Session, path: Any, title: str | None = None, z: torch.Tensor | None = None) -> None:
    """A progress picture: an image grid, or for 2-D data a scatter over the real mixture."""
    samples = render(s.gan, s.fixed_z if z is None else z)
    if s.data.kind == "points":
        centers = s.data.centers.cpu()
        limit = float(centers.abs().max()) * 1.3 + 4 * s.data.std
        save_samples(samples, path, title=title, real=s.data.real(POINT_SAMPLES).cpu(), centers=centers, limits=limit)
    else:
        save_samples(samples, path, title=title)


def finish(s: Session, run: RunDir) -> None:
    """The end-of-run pictures: losses.png, progress.gif and final.png."""
    plot_losses(run.metrics_path, run.path / "losses.png")
    make_gif(run.sample_frames(), run.path / "progress.gif")
    n = FINAL_SAMPLES if s.data.kind == "image" else 5 * POINT_SAMPLES
    z = s.gan.sample_latent(n, torch.Generator(s.device).manual_seed(s.cfg.train.seed + 3))
    save_samples_frame(s, run.path / "final.png", title=f"step {s.step}", z=z)


# -- checkpoints -------------------------------------------------------------------------------------


def save_checkpoint(s: Session, run: RunDir, keep: bool) -> None:
    """Everything needed to continue bit for bit: weights, optimiser state, random streams, the step."""
    tensors: dict[str, torch.Tensor] = {}
    meta: dict[str, Any] = {
        "step": s.step,
        "seconds": round(s.seconds, 3),
        "data_shape": list(s.data.shape),
        "num_classes": s.data.num_classes,
    }
    for name, module in (("G", s.gan.G), ("D", s.gan.D)):
        tensors.update({f"{name}.{key}": value for key, value in module.state_dict().items()})
    for name, optimizer in (("opt_G", s.opt_G), ("opt_D", s.opt_D)):
        optimizer_tensors, meta[name] = _optimizer_to_tensors(name, optimizer)
        tensors.update(optimizer_tensors)
    tensors["rng.data"] = s.data_rng.get_state()
    tensors["rng.latent"] = s.latent_rng.get_state()
    run.save_checkpoint(tensors, meta, keep=keep)


def restore_checkpoint(s: Session, path: Any) -> None:
    """Load a checkpoint written by ``save_checkpoint`` into a freshly built session."""
    tensors, meta = load_checkpoint_file(path)
    for name, module in (("G", s.gan.G), ("D", s.gan.D)):
        module.load_state_dict(_with_prefix(tensors, f"{name}."))
    for name, optimizer in (("opt_G", s.opt_G), ("opt_D", s.opt_D)):
        _optimizer_from_tensors(optimizer, name, tensors, meta[name])
    s.data_rng.set_state(tensors["rng.data"])
    s.latent_rng.set_state(tensors["rng.latent"])
    s.step = int(meta["step"])
    s.seconds = float(meta.get("seconds", 0.0))


def _with_prefix(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {name[len(prefix) :]: value for name, value in tensors.items() if name.startswith(prefix)}


def _optimizer_to_tensors(name: str, optimizer: torch.optim.Optimizer) -> tuple[dict, dict]:
    """Split an optimiser's state into tensors (for safetensors) and plain values (for JSON)."""
    state = optimizer.state_dict()
    tensors, plain = {}, {}
    for index, entries in state["state"].items():
        for key, value in entries.items():
            if torch.is_tensor(value):
                tensors[f"{name}.{index}.{key}"] = value
            else:
                plain[f"{index}.{key}"] = value
    return tensors, {"param_groups": state["param_groups"], "plain": plain}


def _optimizer_from_tensors(optimizer: torch.optim.Optimizer, name: str, tensors: dict, meta: dict) -> None:
    state: dict[int, dict[str, Any]] = {}
    for key, value in _with_prefix(tensors, f"{name}.").items():
        index, entry = key.split(".", 1)
        state.setdefault(int(index), {})[entry] = value
    for key, value in meta["plain"].items():
        index, entry = key.split(".", 1)
        state.setdefault(int(index), {})[entry] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def build_generator_only(cfg: Config, checkpoint: Any, device: torch.device) -> tuple[GAN, dict[str, Any]]:
    """Rebuild a trained GAN from its config and a checkpoint, without loading the dataset."""
    tensors, meta = load_checkpoint_file(checkpoint)
    with torch.random.fork_rng(devices=[]):
        G, D = build_models(cfg.model, tuple(meta["data_shape"]))
    G.load_state_dict(_with_prefix(tensors, "G."))
    D.load_state_dict(_with_prefix(tensors, "D."))
    gan = GANS[cfg.train.loss](G.to(device).eval(), D.to(device).eval(), cfg.model.z_dim, cfg.model.prior)
    return gan, meta


def module_count(module: nn.Module) -> int:
    """Number of parameters of a network (for the start-of-run summary)."""
    return sum(parameter.numel() for parameter in module.parameters())
