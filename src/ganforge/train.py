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
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import nn
from tqdm import tqdm

from ganforge import engine, stats
from ganforge.checkpoint import restore_session, session_state
from ganforge.config import Config, OptimConfig, TrainConfig, duration_seconds
from ganforge.data import ImageData, PointData, load_dataset
from ganforge.distributed import Replicas, local_batch, replicate, updating
from ganforge.ema import ema_decay, make_ema, update_ema
from ganforge.engine import local_rows, pick_device, set_deterministic
from ganforge.errors import GanforgeError
from ganforge.finetune import freeze_d
from ganforge.game2d import record_game_frame
from ganforge.gans import GAN, make_gan
from ganforge.gans.base import Step
from ganforge.gans.cgan import MAX_GRID_CLASSES, check_num_classes, class_rows
from ganforge.health import HealthProbe, diagnose
from ganforge.models import build_models
from ganforge.resources import out_of_memory_as_error
from ganforge.run import RunDir
from ganforge.tasks import save_task_frame, task_of
from ganforge.tensorboard_log import event_log
from ganforge.trained import render
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
    fixed_labels: torch.Tensor | None = None  # conditional runs: the class of each fixed latent (one row per class)
    step: int = 0
    seconds: float = 0.0  # training time so far (carried across resumes)
    rollbacks: int = 0  # divergence rollbacks so far (each lowered the learning rates)
    time_progress: float = 0.0  # the fraction of the --time budget spent (fit keeps it; optim.lr_decay reads it)
    history: list[dict[str, Any]] = field(default_factory=list)  # every metrics record, kept in checkpoints
    alarms: set[str] = field(default_factory=set)  # health alarms already sounded
    replicas: Replicas | None = None  # G and D under DistributedDataParallel, when torchrun started several processes
    bf16: bool = False  # forward passes under bf16 autocast: train.precision, decided once for this device


def make_optimizer(cfg: OptimConfig, params: Any, lr: float) -> torch.optim.Optimizer:
    """Adam, RMSProp (as in WGAN), or SGD with momentum as in the 2014 paper.

    ``optim.fused`` updates every tensor in one kernel instead of a Python loop over them: the same
    update (SGD bit for bit, Adam to float rounding), measured faster in docs/benchmarks.md.
    """
    fused = {"fused": True} if cfg.fused else {}
    if cfg.name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(cfg.betas), **fused)
    if cfg.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=cfg.momentum)
    return torch.optim.SGD(params, lr=lr, momentum=cfg.momentum, **fused)


def prepare_for_speed(cfg: TrainConfig, G: nn.Module, D: nn.Module) -> None:
    """The speed switches that change how G and D run, not what they compute (docs/benchmarks.md)."""
    if cfg.channels_last:  # NHWC: the layout oneDNN and cuDNN convolutions prefer
        G.to(memory_format=torch.channels_last)
        D.to(memory_format=torch.channels_last)
    if cfg.compile or cfg.cuda_graphs:
        # In place (nn.Module.compile), so state_dict keys and checkpoints stay as they are.
        # "reduce-overhead" records CUDA graphs: the whole forward replays as one launch.
        mode = "reduce-overhead" if cfg.cuda_graphs else None
        G.compile(mode=mode)
        D.compile(mode=mode)


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` is a CPU that multiplies bf16 in hardware (AVX-512 BF16 or AMX): there bf16 autocast
    made the `fast` preset's step 1.25x faster (docs/benchmarks.md). GPUs: unmeasured here, so no."""
    if device.type != "cpu":
        return False
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def effective_precision(precision: str, device: torch.device) -> str:
    """``train.precision`` as the run computes it: ``auto`` is bf16 on a CPU with native bf16, else fp32."""
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    return precision


def precision_context(s: Session) -> Any:
    """bf16 autocast for the forward passes when the session computes in bf16 (``train.precision`` bf16, or auto
    on a CPU with native bf16); weights, optimiser and G_ema stay fp32."""
    if s.bf16:
        return torch.autocast(s.device.type, dtype=torch.bfloat16)
    return nullcontext()


def build_session(cfg: Config, data: ImageData | PointData | None = None) -> Session:
    """Load the data and build G, D, the optimisers and the seeded random streams for ``cfg`` (resolved).

    ``data``, when given, is used as it is (``ganforge sweep`` loads a dataset once for many runs)."""
    task = task_of(cfg)  # an image-to-image task brings its own data, networks and variant; None: from noise
    device = pick_device(cfg.train.device)
    set_deterministic(cfg.train.deterministic, device)
    if data is None:
        with engine.main_first():  # under torchrun rank 0 fills any download cache before the others read it
            data = task.load_data(cfg, device) if task is not None else load_dataset(cfg.data, device)
    check_num_classes(cfg, data.num_classes)  # a folder of images may hold a single class
    if data.kind == "image" and len(data) < cfg.train.batch_size:
        log.warning(
            "%s has %d images, fewer than the batch size %d: every batch repeats images (they are drawn "
            "with replacement), and D will soon memorise them",
            cfg.data.name, len(data), cfg.train.batch_size,
        )  # fmt: skip
    with torch.random.fork_rng(devices=[]):  # seeded weights, without touching the caller's global RNG
        torch.manual_seed(cfg.train.seed)
        if task is not None:
            G, D = task.build_networks(cfg, data.shape)
        else:
            G, D = build_models(cfg.model, data.shape, data.num_classes, cfg.train.pack)
    prepare_for_speed(cfg.train, G.to(device), D.to(device))
    gan = task.make_gan(cfg, G, D) if task is not None else make_gan(cfg, G, D, data.num_classes)
    if cfg.train.ema is not None:
        gan.G_ema = make_ema(gan.G)
    freeze_d(D, cfg.train.freeze_d)  # FreezeD: D's first layers keep the weights a fine-tuned run starts from
    seed = cfg.train.seed
    fixed_rng = torch.Generator(device).manual_seed(seed + 2)
    n_fixed = cfg.train.grid_size if data.kind == "image" else POINT_SAMPLES
    fixed_z, fixed_labels = _fixed_latents(gan, n_fixed, fixed_rng)
    session = Session(
        cfg=cfg,
        device=device,
        data=data,
        gan=gan,
        opt_G=make_optimizer(cfg.optim, G.parameters(), cfg.optim.lr_g),
        opt_D=make_optimizer(cfg.optim, D.parameters(), cfg.optim.lr_d),
        data_rng=torch.Generator(device).manual_seed(seed),
        latent_rng=torch.Generator(device).manual_seed(seed + 1),
        fixed_z=fixed_z,
        fixed_labels=fixed_labels,
        bf16=effective_precision(cfg.train.precision, device) == "bf16",
    )
    session.replicas = replicate(cfg, gan, device)  # after the optimisers: wrappers share their parameters
    return session


def _fixed_latents(gan: GAN, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The progress grid's latents; for a conditional run, one row per class (about n images in all)."""
    if not gan.num_classes:
        return gan.sample_latent(n, generator), None
    rows = min(gan.num_classes, MAX_GRID_CLASSES)
    return class_rows(gan, max(1, n // rows), generator)


# -- the loop ----------------------------------------------------------------------------------------


def train_step(s: Session) -> None:
    """One iteration of Algorithm 1: ``d_steps`` updates of D, then one update of G.

    Each update reads one ``Step`` (gans/base.py) whose fakes are generated once: D reads them without G's
    graph. G's update draws its own z, as Algorithm 1 does, unless ``train.g_reuse_fakes`` asks it to reuse
    the last D update's fakes (the pytorch DCGAN example's choice). Under torchrun every process draws the
    global batch and keeps its rows (``local_rows``); the network being updated runs through its DDP
    wrapper, which averages its gradients (distributed.py).
    """
    cfg, gan = s.cfg.train, s.gan
    if s.cfg.optim.lr_decay:
        set_learning_rates(s)
    # (1) k updates of D, each on a fresh real minibatch and a fresh noise minibatch
    for k in range(cfg.d_steps):
        real, labels = draw_real(s)
        z = draw_latents(s)
        if cfg.g_reuse_fakes and k == cfg.d_steps - 1:  # G's update will reuse these fakes: keep G's graph
            step_G = make_step(s, real, z, labels, for_G=True)
            step = step_G.detached()
        else:
            step = make_step(s, real, z, labels, for_G=False)
        if cfg.r1_every > 1:  # lazy regularisation: R1 and R2 on every r1_every-th D update, weighted as many times
            lazy = (s.step * cfg.d_steps + k) % cfg.r1_every == 0
            step = replace(step, penalty_weight=float(cfg.r1_every) if lazy else 0.0)
        with updating(s.replicas, "D"):
            with precision_context(s):
                loss_D = gan.d_objective(step)  # d_loss, plus the R1 penalty and auxiliary terms when configured
            s.opt_D.zero_grad(set_to_none=True)
            loss_D.backward()
            s.opt_D.step()
        gan.after_d_step()

    # (2) one update of G on a fresh noise minibatch (or the last D update's fakes); D is held fixed
    if not cfg.g_reuse_fakes:
        step_G = make_step(s, real, draw_latents(s), labels, for_G=True)
    gan.D.requires_grad_(False)
    with updating(s.replicas, "G"):
        with precision_context(s):  # g_loss (D unrolled when train.unroll > 0), + AC-GAN's or InfoGAN's term
            loss_G = gan.g_objective(step_G)
        s.opt_G.zero_grad(set_to_none=True)
        loss_G.backward()
        s.opt_G.step()
    gan.D.requires_grad_(True)
    if gan.G_ema is not None:  # (3) G_ema follows G's new weights
        update_ema(gan.G_ema, gan.G, ema_decay(cfg.ema, s.step, cfg.ema_rampup))
    s.step += 1


def lr_factor(decay: float, progress: float) -> float:
    """The learning rates' multiplier ``progress`` (0 to 1) of the way through training: 1, then over the last
    ``decay`` of training a straight fall towards 0 (0: constant rates)."""
    if decay <= 0:
        return 1.0
    return min(1.0, max(0.0, (1.0 - progress) / decay))


def set_learning_rates(s: Session) -> None:
    """Each optimiser's rate for the next step: its configured rate, times ``train.rollback_lr_factor`` per
    divergence rollback, times the decay (``optim.lr_decay``) at the fraction of training done, which is the
    steps' or the time budget's, whichever is further along (``time_progress``, the same on every process)."""
    progress = max(s.step / s.cfg.train.steps, s.time_progress)
    factor = s.cfg.train.rollback_lr_factor**s.rollbacks * lr_factor(s.cfg.optim.lr_decay, progress)
    for optimizer, lr in ((s.opt_G, s.cfg.optim.lr_g), (s.opt_D, s.cfg.optim.lr_d)):
        for group in optimizer.param_groups:
            group["lr"] = lr * factor


def draw_real(s: Session) -> tuple[torch.Tensor, Any]:
    """A fresh real minibatch x and its labels (a task's Pair), from the session's data stream."""
    real, labels = local_batch(s.data.batch(s.cfg.train.batch_size, s.data_rng))
    return real, labels


def draw_latents(s: Session) -> torch.Tensor:
    """A fresh noise minibatch z ~ p_z from the session's latent stream."""
    return local_rows(s.gan.sample_latent(s.cfg.train.batch_size, s.latent_rng))


def make_step(s: Session, real: torch.Tensor, z: torch.Tensor, labels: Any, for_G: bool) -> Step:
    """The step of one update, its fakes G(z) generated once: for G's update with G's graph, through G's
    DDP wrapper (so its gradients are averaged); for D's update without a graph."""
    with updating(s.replicas, "G") if for_G else nullcontext(), precision_context(s):
        return s.gan.make_step(real, z, labels, with_graph=for_G)


def fit(session: Session, run: RunDir, progress: bool = True) -> None:
    """Train from ``session.step`` to ``cfg.train.steps``, or until ``cfg.train.time`` of training time has
    passed (whichever comes first), logging, sampling and checkpointing into ``run``.

    Host and device meet once per logging interval: statistics are read back, and losses, gradients
    and weights are checked for NaN or Inf (stop, or roll back to the last good checkpoint).
    Under torchrun every process trains and measures its share; rank 0 alone measures health, writes
    files and shows progress, and its metrics record is everyone's, so all decide alike.
    """
    s, cfg = session, session.cfg.train
    stats.reset()
    bar = tqdm(total=cfg.steps, initial=s.step, disable=not (progress and engine.is_main()), unit="step",
               dynamic_ncols=True)  # fmt: skip
    measure = _training_evaluator(s)
    probe = HealthProbe(s) if cfg.health_every and engine.is_main() else None
    s.alarms = {finding.alarm for finding in diagnose(s.history, cfg.loss, cfg.steps)}  # fired before a resume
    out_of_memory = out_of_memory_as_error(f"a training step at batch size {cfg.batch_size} on {s.device}",
                                           "lower --batch-size")  # fmt: skip
    budget = duration_seconds(cfg.time) if cfg.time is not None else math.inf
    s.time_progress = s.seconds / budget if budget < math.inf else 0.0  # a resumed run continues its budget
    out_of_time = s.time_progress >= 1
    events = event_log(run.path, bool(s.cfg.train.tensorboard) and engine.is_main())  # --tensorboard
    with _graceful_stop() as stop_requested, out_of_memory, events as board:
        clock = Clock(s)  # training time starts here: the evaluator's and health probe's set-up is not training
        while s.step < cfg.steps and not out_of_time and not engine.first_signal(stop_requested()):
            s.gan.G.train()
            s.gan.D.train()
            train_step(s)
            if budget < math.inf:
                s.time_progress = engine.max_over_processes(clock.elapsed() / budget)
                out_of_time = s.time_progress >= 1
            due = Due.at(cfg, s.step, evaluating=measure is not None, last=out_of_time)
            if due.log:
                record = clock.record(s.step, stats.collect())
                if due.eval:
                    record.update(measure(lambda z: render(s.gan, z)))
                if due.health and probe is not None:
                    record.update(probe.measure())
                record = engine.broadcast_object(record)  # rank 0's record (it holds health and eval values)
                problem = find_divergence(s, record)
                if problem:
                    _handle_divergence(s, run, problem, clock)
                    bar.n = s.step
                    continue
                keep_record(s, run, record)
                if board is not None:
                    board.scalars(record)
                bar.update(s.step - bar.n)
                bar.set_postfix(_postfix(record), refresh=False)
                if due.health:
                    _sound_alarms(s, run, clock, bar)
            if due.sample and engine.is_main():
                save_samples_frame(s, run.sample_path(s.step), title=f"step {s.step}")
                if board is not None:
                    board.picture(run.sample_path(s.step), s.step)
            if due.checkpoint:
                save_checkpoint(s, run, clock, keep=due.keep)
        signal_name = engine.first_signal(stop_requested())
    bar.close()
    if out_of_time and s.step < cfg.steps:
        log.info("the time budget (%s) ran out at step %d of %d", cfg.time, s.step, cfg.steps)
    elif s.step < cfg.steps:
        save_checkpoint(s, run, clock, keep=False)
        raise TrainingStopped(signal_name, s.step, cfg.steps, run.path)
    if engine.is_main():
        finish(s, run)


@dataclass(frozen=True)
class Due:
    """What falls due after a training step: the loop's cadence, which ``ganforge sweep`` shares."""

    log: bool  # a metrics record (and the divergence check that reads it)
    eval: bool  # in-training evaluation (``train.eval_every``)
    health: bool  # health signals (``train.health_every``)
    sample: bool  # a progress picture
    checkpoint: bool  # a checkpoint: latest (and previous)
    keep: bool  # ... also kept as step_N (``train.checkpoint_every``)

    @classmethod
    def at(cls, cfg: TrainConfig, step: int, evaluating: bool = False, last: bool = False) -> Due:
        """The cadence after ``step`` steps; the last step (``cfg.steps``, or ``last`` when the time budget ran
        out) logs, samples and checkpoints."""
        done = last or step == cfg.steps
        eval_due = evaluating and (step % cfg.eval_every == 0 or done)
        health_due = bool(cfg.health_every) and step % cfg.health_every == 0
        sample = step % cfg.sample_every == 0 or done
        keep = step % cfg.checkpoint_every == 0
        return cls(
            log=step % cfg.log_every == 0 or done or eval_due or health_due,
            eval=eval_due,
            health=health_due,
            sample=sample,
            checkpoint=sample or keep,  # sample includes the last step
            keep=keep,
        )


def keep_record(s: Session, run: RunDir, record: dict[str, Any]) -> None:
    """Add a (checked) metrics record to the session's history and, on rank 0, to metrics.jsonl."""
    s.history.append(record)
    if engine.is_main():
        run.append_metrics(record)


def _training_evaluator(s: Session) -> Any:
    if s.cfg.train.eval_every is None:
        return None
    task = task_of(s.cfg)
    if task is not None:  # image-to-image tasks: PSNR, L1, cycle error ... on held-out pairs
        from ganforge.tasks.evaluation import TaskEvaluator  # metrics and extractors load only when asked for

        return TaskEvaluator(task, s.cfg, s.gan)
    from ganforge.evaluate import TrainingEvaluator  # metrics and extractors load only when asked for

    latents = s.gan.sample_latent(s.cfg.train.eval_samples, torch.Generator(s.device).manual_seed(s.cfg.train.seed + 4))
    return TrainingEvaluator(s.cfg, s.data.kind, s.device, latents)


def _sound_alarms(s: Session, run: RunDir, clock: Clock, bar: tqdm) -> None:
    """Say each newly fired health alarm once, in plain words; with ``on_alarm: stop``, stop there."""
    for finding in diagnose(s.history, s.cfg.train.loss, s.cfg.train.steps):
        if finding.alarm in s.alarms:
            continue
        s.alarms.add(finding.alarm)
        if engine.is_main():
            bar.write(f"ganforge: alarm at step {s.step}: {finding}")
        log.debug("alarm %s", finding)
        if s.cfg.train.on_alarm == "stop":
            save_checkpoint(s, run, clock, keep=False)
            raise GanforgeError(
                f"stopped at step {s.step} by the {finding.alarm} alarm: {finding.message}",
                f"see 'ganforge doctor {run.path}'; continue anyway with 'ganforge resume {run.path}'",
            )


class Clock:
    """Training time across resumes, and the rate over the last logging interval."""

    def __init__(self, s: Session) -> None:
        self.reset(s)

    def reset(self, s: Session) -> None:
        self.base, self.started = s.seconds, time.perf_counter()
        self.last_time, self.last_step = self.started, s.step

    def elapsed(self) -> float:
        return self.base + time.perf_counter() - self.started

    def lap(self, step: int) -> tuple[float, float]:
        """(training seconds so far, steps per second since the last lap), starting the next lap."""
        now = time.perf_counter()
        rate = round((step - self.last_step) / max(now - self.last_time, 1e-9), 2)
        self.last_time, self.last_step = now, step
        return self.base + now - self.started, rate

    def record(self, step: int, values: dict[str, float]) -> dict[str, Any]:
        """A metrics record of ``values`` at ``step``, timed by this clock."""
        return metrics_record(step, *self.lap(step), values)


def metrics_record(step: int, seconds: float, rate: float, values: dict[str, float]) -> dict[str, Any]:
    """One line of metrics.jsonl: the step, the training time, the statistics and the steps per second."""
    return {"step": step, "time": round(seconds, 3), **values, "it/s": rate}


def _postfix(record: dict[str, Any]) -> dict[str, str]:
    keys = ("loss/D", "loss/G", "D(x)", "D(G(z))")
    return {key: f"{record[key]:.3f}" for key in keys if key in record}


# -- divergence --------------------------------------------------------------------------------------


def find_divergence(s: Session, record: dict[str, Any]) -> str | None:
    """Name the first NaN or Inf among the logged statistics, G's and D's gradients and weights, or None."""
    bad = [key for key, value in record.items() if isinstance(value, float) and not math.isfinite(value)]
    if bad:
        return f"{', '.join(bad)} became NaN or Inf"
    tensors = {}
    for net_name, net in (("G", s.gan.G), ("D", s.gan.D)):
        for name, parameter in net.named_parameters():
            tensors[f"{net_name} weight {name}"] = parameter
            if parameter.grad is not None:
                tensors[f"{net_name} gradient of {name}"] = parameter.grad
    finite = torch.stack([torch.isfinite(t).all() for t in tensors.values()]).tolist()  # one host sync
    bad = [name for name, ok in zip(tensors, finite, strict=True) if not ok]
    return f"{bad[0]} holds NaN or Inf" if bad else None


def _handle_divergence(s: Session, run: RunDir, problem: str, clock: Clock) -> None:
    """Stop with a clear message, or (``on_divergence: rollback``) go back to the last good checkpoint."""
    cfg = s.cfg.train
    step = s.step
    if cfg.on_divergence != "rollback" or s.rollbacks >= cfg.max_rollbacks:
        tried = f" after {s.rollbacks} rollbacks" if s.rollbacks else ""
        raise GanforgeError(
            f"training diverged at step {step}{tried}: {problem}; the last good checkpoint is kept",
            "lower the learning rates (--lr-g, --lr-d), or train with --set train.on_divergence=rollback",
        )
    rollbacks = s.rollbacks + 1  # counted across rollbacks, which restore older state
    path, tensors, meta = engine.on_main(run.load_latest)  # rank 0 reads; every process restores
    restore_session(s, tensors, meta, path)
    s.rollbacks = rollbacks
    factor = cfg.rollback_lr_factor**rollbacks
    set_learning_rates(s)
    if engine.is_main():
        run.write_metrics(s.history)
    stats.reset()
    clock.reset(s)
    log.warning(
        "training diverged at step %d (%s); rolled back to step %d with the learning rates times %g "
        "(now G %.3g, D %.3g; rollback %d of %d)",
        step, problem, s.step, factor, s.opt_G.param_groups[0]["lr"], s.opt_D.param_groups[0]["lr"],
        s.rollbacks, cfg.max_rollbacks,
    )  # fmt: skip


# -- stopping ----------------------------------------------------------------------------------------


class TrainingStopped(GanforgeError):
    """Training stopped early at a signal's request, after writing a checkpoint."""

    def __init__(self, signal_name: str, step: int, steps: int, path: Any) -> None:
        self.exit_code = 128 + int(getattr(signal, signal_name, signal.SIGINT))
        super().__init__(
            f"{signal_name} received: stopped at step {step} of {steps} and saved a checkpoint",
            f"continue with 'ganforge resume {path}'",
        )


@contextmanager
def _graceful_stop() -> Iterator[Any]:
    """Turn the first SIGINT (Ctrl-C) or SIGTERM into a flag the loop checks between steps, so it stops at
    a step boundary and saves a checkpoint; a second signal stops at once. Yields a function that returns
    the signal's name once one arrived, else an empty string."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: ""
        return
    received: list[str] = []
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    first_at: list[float] = []

    def handler(signum: int, frame: Any) -> None:
        if received and _echo(signal.Signals(signum).name, received[0], time.monotonic() - first_at[0]):
            return
        if received:
            raise KeyboardInterrupt
        received.append(signal.Signals(signum).name)
        first_at.append(time.monotonic())
        log.warning("%s: stopping after this step and saving a checkpoint (again to stop at once)", received[0])

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield lambda: received[0] if received else ""
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


SIGNAL_ECHO_SECONDS = 2.0


def _echo(name: str, first: str, seconds_since: float) -> bool:
    """Under torchrun one Ctrl-C arrives twice: from the terminal, and forwarded by torchrun's agent.
    The same signal within a moment of the first counts as the same one, not as a second request."""
    return engine.launched_world_size() > 1 and name == first and seconds_since < SIGNAL_ECHO_SECONDS


# -- pictures ----------------------------------------------------------------------------------------


def save_samples_frame(
    s: Session, path: Any, title: str | None = None, z: torch.Tensor | None = None, labels: torch.Tensor | None = None
) -> None:
    """A progress picture: an image grid (one row per class for a conditional run), or for 2-D data a
    scatter over the real mixture; for image-to-image tasks, rows of input | output | target."""
    if task_of(s.cfg) is not None:
        save_task_frame(s.cfg, s.gan, s.data, path)
        return
    if z is None:
        z, labels = s.fixed_z, s.fixed_labels
    samples = render(s.gan, z, labels)
    if labels is not None:  # row-major, one row per class
        save_samples(samples, path, nrow=len(labels) // int(labels.max() + 1))
    elif s.data.kind == "points":
        centers = s.data.centers.cpu()
        limit = float(centers.abs().max()) * 1.3 + 4 * s.data.std
        real = s.data.real(POINT_SAMPLES).cpu()
        save_samples(samples, path, title=title, real=real, centers=centers, limits=limit)
        if z is s.fixed_z:  # a progress frame (the fixed latents): also record the game in the plane
            record_game_frame(path, s.gan, real, samples, limit, s.step, s.cfg.train.loss)
    else:
        save_samples(samples, path, title=title)


def finish(s: Session, run: RunDir) -> None:
    """The end-of-run pictures: losses.png, progress.gif and final.png."""
    plot_losses(run.metrics_path, run.path / "losses.png")
    make_gif(run.sample_frames(), run.path / "progress.gif")
    n = FINAL_SAMPLES if s.data.kind == "image" else 5 * POINT_SAMPLES
    generator = torch.Generator(s.device).manual_seed(s.cfg.train.seed + 3)
    if s.gan.num_classes:  # one row per class, 10 columns
        z, labels = class_rows(s.gan, FINAL_SAMPLES // 10, generator)
        save_samples_frame(s, run.path / "final.png", z=z, labels=labels)
        return
    z = s.gan.sample_latent(n, generator)
    save_samples_frame(s, run.path / "final.png", title=f"step {s.step}", z=z)


# -- checkpoints -------------------------------------------------------------------------------------


def save_checkpoint(s: Session, run: RunDir, clock: Clock, keep: bool) -> None:
    """Write the session to the run's checkpoints, never a diverged one over a good one: stop instead."""
    problem = write_checkpoint(s, run, clock, keep)
    if problem:
        raise GanforgeError(
            f"training diverged at step {s.step}: {problem}; the last good checkpoint is kept",
            "lower the learning rates (--lr-g, --lr-d), or train with --set train.on_divergence=rollback",
        )


def write_checkpoint(s: Session, run: RunDir, clock: Clock, keep: bool) -> str | None:
    """Write the session to the run's checkpoints unless it holds a NaN or Inf; return that problem, if any.

    The guard runs before every save (the loop's and the sweep's): a NaN arriving between logging
    intervals must never replace the last good checkpoint."""
    s.seconds = clock.elapsed()
    problem = find_divergence(s, {})
    if problem:
        return problem
    if engine.is_main():  # every process holds the same state; one writes it
        tensors, meta = session_state(s)
        run.save_checkpoint(tensors, meta, keep=keep)
    engine.barrier()  # a process that stops next must not have torchrun end rank 0 in the middle of writing
    return None


def module_count(module: nn.Module) -> int:
    """Number of parameters of a network (for the start-of-run summary)."""
    return sum(parameter.numel() for parameter in module.parameters())
