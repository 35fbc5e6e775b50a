"""``ganforge sweep``: a population of small GANs (seeds, hyperparameters) trained at once in one process.

    ganforge sweep --seeds 0-15 --set optim.lr_g=1e-3,2e-4 --steps 2000 --out sweeps/lr

A small GAN spends most of its step in framework overhead (launching a few dozen small kernels), not
arithmetic. So members that share their shapes and algorithm train in lockstep: their weights are
stacked along a new leading dimension (``torch.func.stack_module_state``) and every step runs all of
their losses at once with ``vmap`` over ``functional_call``; each layer becomes one batched matrix
multiply for the whole population. Every member keeps its own data order, latents, initial weights
(its seed) and optimiser settings, so it follows the same trajectory as the same config trained alone
(to float rounding; tests/test_sweep.py checks it). Members that cannot be batched (batch norm,
weight clipping, penalties that differentiate twice, rollbacks and in-training evaluation) train one
after another with ``ganforge train``'s loop instead, and the sweep says so.

The population runs ``ganforge train``'s code for everything but the update itself: each member's
batches and latents are drawn by the loop's ``draw_real`` / ``draw_latents`` from its own session, every
loss is the variant's ``d_objective`` / ``g_objective`` on a ``Step`` built by ``GAN.make_step``, and the
cadence (``Due``), metrics records (``Clock``), divergence check (``find_divergence``) and guarded
checkpoint writer (``write_checkpoint``) are the loop's. Only what ``vmap`` needs differently lives here:
stacked weights, networks called with them (``functional_call``) and a stacked optimiser with
per-member learning rates and betas.

Every member leaves a normal run folder (config.yaml, metrics.jsonl, samples, resumable checkpoints,
pictures) that ``sample``, ``eval``, ``load`` and ``resume`` read like any other; ``summary.md`` and
``summary.json`` rank the members by a metric (FID for images, captured modes for 2-D mixtures).
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, grad_and_value, stack_module_state, vmap
from tqdm import tqdm

from ganforge import stats
from ganforge.atomic import write_text_atomic
from ganforge.config import Config, apply_overrides, known_keys, load_yaml, load_yaml_file
from ganforge.data import load_dataset
from ganforge.engine import pick_device
from ganforge.errors import GanforgeError, excerpt
from ganforge.gans import make_gan
from ganforge.resolve import resolve
from ganforge.run import RunDir
from ganforge.tasks import task_of
from ganforge.train import (
    Clock,
    Due,
    Session,
    build_session,
    draw_latents,
    draw_real,
    find_divergence,
    finish,
    keep_record,
    metrics_record,
    save_samples_frame,
    write_checkpoint,
)

log = logging.getLogger("ganforge")

# Settings members of one vmapped group may differ in: none of them changes a shape or the algorithm.
PER_MEMBER_KEYS = ("train.seed", "optim.lr_g", "optim.lr_d", "optim.betas", "optim.momentum", "out")
VMAP_LOSSES = ("non-saturating", "minimax", "hinge", "lsgan")  # no weight clipping, no own random stream
# metric -> (the key in evaluate's results that ranks, whether higher is better)
RANK_BY = {
    "fid": ("fid", False),
    "kid": ("kid", False),
    "is": ("is", True),
    "classes": ("classes_covered", True),
    "modes": ("modes_captured", True),
    "precision-recall": ("recall", True),
    "density-coverage": ("coverage", True),
}


@dataclass
class SweepSpec:
    """What to sweep: a base config, the seeds, and the values of each varied setting (every combination)."""

    base: Config
    out: Path
    seeds: list[int] = field(default_factory=lambda: [0])
    grid: dict[str, list[Any]] = field(default_factory=dict)
    metric: str | None = None  # None: fid for images, modes for 2-D points; "none": no evaluation
    eval_n: int = 2000  # samples (and real ones) per member for the ranking metric
    sequential: bool = False  # train members one after another (for comparison) even where they could batch


# -- parsing the interface ---------------------------------------------------------------------------


def parse_seeds(text: str | int | list[int]) -> list[int]:
    """'0-15' -> 0..15; '0,3,7' -> [0, 3, 7]; ranges and lists mix ('0-3,10')."""
    if isinstance(text, int) and not isinstance(text, bool):
        return [text]
    if isinstance(text, list):
        return [int(seed) for seed in text]
    seeds: list[int] = []
    for part in str(text).replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise GanforgeError(f"--seeds {excerpt(text)} is not a list of seeds", "e.g. --seeds 0-15 or --seeds 0,3,7")
        seeds += list(range(int(first), int(last) + 1)) if dash else [int(first)]
    if not seeds or len(set(seeds)) != len(seeds):
        raise GanforgeError(f"--seeds {excerpt(text)} names no seed or a seed twice", "e.g. --seeds 0-15")
    return seeds


def parse_setting(setting: str) -> tuple[str, list[Any]]:
    """'optim.lr_g=1e-3,2e-4' -> ('optim.lr_g', ['1e-3', '2e-4']); list values in brackets: 'optim.betas=[0.5,0.9]'."""
    key, sep, text = setting.partition("=")
    if not sep or not key.strip():
        raise GanforgeError(f"--set {excerpt(setting)} is not KEY=VALUE[,VALUE...]", "e.g. --set optim.lr_g=1e-3,2e-4")
    try:
        values = load_yaml(f"[{text}]", f"--set {excerpt(setting)}")
    except GanforgeError:
        raise GanforgeError(f"--set {excerpt(setting)}: cannot read the values",
                            "separate values with commas") from None  # fmt: skip
    if not values:
        raise GanforgeError(f"--set {excerpt(setting)} gives no value", "e.g. --set optim.lr_g=1e-3,2e-4")
    return key.strip(), values


def load_sweep_file(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """A sweep file: a normal config plus a ``sweep:`` section (seeds, set, metric, eval_n)."""
    path = Path(path)
    if not path.is_file():
        raise GanforgeError(f"sweep file {path} does not exist", "check the path given to --config")
    values = load_yaml_file(path, "sweep file") or {}
    if not isinstance(values, dict):
        raise GanforgeError(f"sweep file {path} must hold a mapping of sections", "see docs/benchmarks.md")
    section = values.pop("sweep", None) or {}
    unknown = sorted(set(section) - {"seeds", "set", "metric", "eval_n"})
    if unknown:
        raise GanforgeError(f"unknown key 'sweep.{unknown[0]}' in {path}", "sweep takes seeds, set, metric, eval_n")
    return values, section


def member_configs(spec: SweepSpec) -> list[Config]:
    """One resolved config per member: every seed times every combination of the varied values."""
    keys = known_keys()
    for key in spec.grid:
        if key not in keys or key == "out":
            raise GanforgeError(f"--set {key}: not a setting a sweep can vary", "see 'ganforge train --help'")
    if "train.seed" in spec.grid:
        raise GanforgeError("vary seeds with --seeds, not --set train.seed", "e.g. --seeds 0-15")
    if spec.base.train.time is not None or "train.time" in spec.grid:
        raise GanforgeError("a sweep trains every member for the same steps, not a time budget (train.time)",
                            "leave train.time unset and give --steps")  # fmt: skip
    combinations = list(itertools.product(*spec.grid.values())) or [()]
    configs = []
    for index, (seed, values) in enumerate(itertools.product(spec.seeds, combinations)):
        overrides = {"train.seed": seed, **dict(zip(spec.grid, values, strict=True))}
        overrides["out"] = str(spec.out / f"member-{index:02d}")
        configs.append(resolve(apply_overrides(spec.base, overrides, source="the sweep")))
    return configs


def why_not_batched(cfg: Config) -> str | None:
    """Why this member cannot train in a vmapped group, or None when it can."""
    if cfg.model.name != "mlp":
        return f"model '{cfg.model.name}' uses batch norm, whose running statistics vmap cannot update"
    if cfg.model.d_norm != "none":
        return f"model.d_norm={cfg.model.d_norm} keeps power-iteration state that vmap cannot update"
    if cfg.train.loss not in VMAP_LOSSES:
        return f"--loss {cfg.train.loss} clips weights or draws its own random numbers"
    if cfg.train.r1_gamma > 0 or cfg.train.r2_gamma > 0:
        return "train.r1_gamma and train.r2_gamma differentiate twice inside the loss"
    if cfg.optim.name not in ("adam", "sgd"):
        return f"--optimizer {cfg.optim.name} has no batched update here (adam and sgd do)"
    if cfg.optim.lr_decay > 0:
        return "optim.lr_decay schedules the learning rates, which the batched update keeps constant"
    if cfg.train.on_divergence != "stop" or cfg.train.eval_every is not None:
        return "rollback and in-training evaluation need ganforge train's loop"
    if cfg.train.precision != "fp32" or cfg.train.compile or cfg.train.cuda_graphs:
        return "the speed switches apply to single runs"
    task = task_of(cfg)
    if task is not None:
        return f"the {task.name} task has networks of its own"
    if cfg.model.labelled:
        return "class labels and InfoGAN codes add heads and terms the batched step does not carry"
    tricks = {"train.ema": cfg.train.ema is not None, "train.augment": bool(cfg.train.augment),
              "train.pack": cfg.train.pack > 1, "train.unroll": cfg.train.unroll > 0,
              "model.minibatch_std": cfg.model.minibatch_std}  # fmt: skip
    used = [name for name, on in tricks.items() if on]
    if used:
        return f"{', '.join(used)} need ganforge train's loop (state or random streams the batched step does not keep)"
    return None


def _group_key(cfg: Config) -> str:
    """Members with equal keys share shapes and algorithm: everything but the per-member settings."""
    values = cfg.to_dict()
    for dotted in PER_MEMBER_KEYS:
        section, _, name = dotted.partition(".")
        (values[section].pop(name, None) if name else values.pop(section, None))
    return json.dumps(values, sort_keys=True)


# -- the batched population --------------------------------------------------------------------------


class _Stateless:
    """A network called with the weights bound last (``functional_call``): what the GAN variant sees as G or D."""

    def __init__(self, module: nn.Module) -> None:
        self.module = copy.deepcopy(module).to("meta")  # shapes and code only; weights come per call
        self.weights: dict[str, torch.Tensor] = {}

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return functional_call(self.module, self.weights, (x,))


class StackedOptimizer:
    """Adam or SGD with momentum over stacked weights (P, ...), each member with its own settings.

    The update of ``torch.optim.Adam`` / ``torch.optim.SGD`` (Kingma & Ba 2015, Algorithm 1), with the
    learning rate and betas as (P,) tensors broadcast over each weight; equal to the single-run
    optimiser to float rounding.
    """

    def __init__(self, configs: list[Config], which: str, weights: dict[str, torch.Tensor]) -> None:
        device = next(iter(weights.values())).device
        self.name = configs[0].optim.name
        self.lr = torch.tensor([getattr(c.optim, f"lr_{which}") for c in configs], device=device)
        self.steps = 0
        if self.name == "adam":
            self.beta1 = torch.tensor([c.optim.betas[0] for c in configs], dtype=torch.float64)
            self.beta2 = torch.tensor([c.optim.betas[1] for c in configs], dtype=torch.float64)
            self.exp_avg = {name: torch.zeros_like(w) for name, w in weights.items()}
            self.exp_avg_sq = {name: torch.zeros_like(w) for name, w in weights.items()}
        else:
            self.momentum = torch.tensor([c.optim.momentum for c in configs], device=device)
            self.buffer: dict[str, torch.Tensor] = {}

    def step(self, weights: dict[str, torch.Tensor], grads: dict[str, torch.Tensor]) -> None:
        """Update ``weights`` in place."""
        self.steps += 1
        if self.name == "adam":
            self._adam(weights, grads)
        else:
            self._sgd(weights, grads)

    def _adam(self, weights: dict[str, torch.Tensor], grads: dict[str, torch.Tensor]) -> None:
        device = self.lr.device
        beta1, beta2 = self.beta1.float().to(device), self.beta2.float().to(device)
        # bias corrections in float64 from the step count, as torch.optim.Adam computes them
        step_size = (self.lr.double().cpu() / (1 - self.beta1**self.steps)).float().to(device)
        correction2_sqrt = (1 - self.beta2**self.steps).sqrt().float().to(device)
        for name, w in weights.items():
            shape = (-1,) + (1,) * (w.dim() - 1)  # (P, 1, ...): one setting per member
            g, m, v = grads[name], self.exp_avg[name], self.exp_avg_sq[name]
            m.lerp_(g, (1 - beta1).view(shape))  # m = beta1 m + (1 - beta1) g
            v.mul_(beta2.view(shape)).add_(g * g * (1 - beta2).view(shape))  # v = beta2 v + (1 - beta2) g^2
            denom = (v.sqrt() / correction2_sqrt.view(shape)).add_(1e-8)
            w.sub_(step_size.view(shape) * m / denom)

    def _sgd(self, weights: dict[str, torch.Tensor], grads: dict[str, torch.Tensor]) -> None:
        for name, w in weights.items():
            shape = (-1,) + (1,) * (w.dim() - 1)
            if name not in self.buffer:  # torch starts the momentum buffer at the first gradient
                self.buffer[name] = grads[name].clone()
            else:
                self.buffer[name].mul_(self.momentum.view(shape)).add_(grads[name])
            w.sub_(self.lr.view(shape) * self.buffer[name])

    def member_state(self, index: int, names: list[str], device: torch.device, fused: bool) -> list[dict]:
        """Member ``index``'s state in ``torch.optim``'s layout, one dict per weight in ``names`` order."""
        if self.name == "adam":
            step_device = device if fused else torch.device("cpu")
            return [
                {
                    "step": torch.tensor(float(self.steps), device=step_device),
                    "exp_avg": self.exp_avg[name][index].clone(),
                    "exp_avg_sq": self.exp_avg_sq[name][index].clone(),
                }
                for name in names
            ]
        return [{"momentum_buffer": self.buffer[name][index].clone()} for name in names if name in self.buffer]


class Population:
    """Members with the same shapes and algorithm, trained in lockstep with their weights stacked."""

    def __init__(self, configs: list[Config], data: Any) -> None:
        self.configs = configs
        self.sessions = [build_session(cfg, data) for cfg in configs]
        first = self.sessions[0]
        self.device = first.device
        self.G = _Stateless(first.gan.G)
        self.D = _Stateless(first.gan.D)
        self.gan = make_gan(configs[0], self.G, self.D)  # the variant's own losses, on stateless networks
        self.weights_G = _stack([s.gan.G for s in self.sessions])
        self.weights_D = _stack([s.gan.D for s in self.sessions])
        self.opt_G = StackedOptimizer(configs, "g", self.weights_G)
        self.opt_D = StackedOptimizer(configs, "d", self.weights_D)
        # d(loss)/d(weights) and the loss with its reported statistics, for every member at once
        self._d_step = vmap(grad_and_value(self._loss_D, has_aux=True))
        self._g_step = vmap(grad_and_value(self._loss_G, has_aux=True))
        self.step = 0

    def _loss_D(self, weights_D: dict, weights_G: dict, real: torch.Tensor, z: torch.Tensor, labels: torch.Tensor):
        self.G.weights, self.D.weights = weights_G, weights_D
        with stats.capture() as values:
            loss_D = self.gan.d_objective(self.gan.make_step(real, z, labels, with_graph=False))
        return loss_D, values

    def _loss_G(self, weights_G: dict, weights_D: dict, real: torch.Tensor, z: torch.Tensor, labels: torch.Tensor):
        self.G.weights, self.D.weights = weights_G, weights_D  # D's weights are inputs here, not trained
        with stats.capture() as values:
            loss_G = self.gan.g_objective(self.gan.make_step(real, z, labels, with_graph=True))
        return loss_G, values

    def _draw_real(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Each member's next real minibatch and labels from its own data stream, stacked: (P, m, ...)."""
        reals, labels = zip(*(draw_real(s) for s in self.sessions), strict=True)
        return torch.stack(reals), torch.stack(labels)

    def _draw_latents(self) -> torch.Tensor:
        """Each member's next noise minibatch from its own latent stream, stacked: (P, m, z_dim)."""
        return torch.stack([draw_latents(s) for s in self.sessions])

    def train_step(self) -> list[dict[str, torch.Tensor]]:
        """One iteration of Algorithm 1 for every member, as ``train.train_step`` runs it; returns what each
        update reported, each value (P,)."""
        cfg = self.configs[0].train
        values: list[dict[str, torch.Tensor]] = []
        # (1) k updates of D, each on fresh real and noise minibatches
        for _ in range(cfg.d_steps):
            real, labels = self._draw_real()
            z = self._draw_latents()
            grads, (_, reported) = self._d_step(self.weights_D, self.weights_G, real, z, labels)
            self.opt_D.step(self.weights_D, grads)
            values.append(reported)
        # (2) one update of G on fresh noise; D's weights are held fixed. Reusing the last D update's fakes
        # (train.g_reuse_fakes) regenerates them from the same z: vmap's gradient needs G's graph inside it.
        if not cfg.g_reuse_fakes:
            z = self._draw_latents()
        grads, (_, reported) = self._g_step(self.weights_G, self.weights_D, real, z, labels)
        self.opt_G.step(self.weights_G, grads)
        values.append(reported)
        self.step += 1
        return values

    def sync_member(self, index: int) -> Session:
        """Copy member ``index``'s weights and optimiser state into its session (for files and pictures)."""
        s = self.sessions[index]
        with torch.no_grad():
            for module, weights, optimizer, stacked in (
                (s.gan.G, self.weights_G, s.opt_G, self.opt_G),
                (s.gan.D, self.weights_D, s.opt_D, self.opt_D),
            ):
                names = [name for name, _ in module.named_parameters()]
                for name, parameter in module.named_parameters():
                    parameter.copy_(weights[name][index])
                states = stacked.member_state(index, names, self.device, bool(self.configs[index].optim.fused))
                for parameter, state in zip(optimizer.param_groups[0]["params"], states, strict=False):
                    optimizer.state[parameter] = state
        s.step = self.step
        return s


def _stack(modules: list[nn.Module]) -> dict[str, torch.Tensor]:
    weights, buffers = stack_module_state(modules)
    if buffers:
        raise GanforgeError("sweep: networks with buffers cannot be batched", "train these members one at a time")
    return {name: w.detach() for name, w in weights.items()}  # updated in place by StackedOptimizer


class _Statistics:
    """The running means of ``stats`` for a population: each name averaged over the updates that reported
    it (D's statistics over all k D updates), as ``stats.collect`` averages them for a lone run."""

    def __init__(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.counts: dict[str, int] = {}

    def add(self, reports: list[dict[str, torch.Tensor]]) -> None:
        for values in reports:
            for name, value in values.items():
                self.sums[name] = self.sums[name] + value if name in self.sums else value.clone()
                self.counts[name] = self.counts.get(name, 0) + 1

    def collect(self) -> tuple[list[str], list[list[float]]]:
        """The names and each member's means, (P, statistics), in one host sync; then start afresh."""
        names = list(self.sums)
        rows = torch.stack([self.sums[name] / self.counts[name] for name in names]).T.tolist()
        self.sums, self.counts = {}, {}
        return names, rows


def train_population(configs: list[Config], data: Any, progress: bool = True) -> dict[str, Any]:
    """Train a vmapped group to ``train.steps``, writing each member's run folder as ``ganforge train`` does.

    The cadence, metrics records, divergence check and checkpoints are the loop's (train.py); a member
    that diverges keeps its last good checkpoint and stops being written while the others train on.
    Returns per-member status: the step each diverged at (None if it did not).
    """
    population = Population(configs, data)
    runs = [RunDir.create(cfg.out, cfg) for cfg in configs]
    cfg = configs[0].train
    diverged: list[int | None] = [None] * len(configs)
    statistics = _Statistics()
    clock = Clock(population.sessions[0])  # one clock for the lockstep population
    bar = tqdm(total=cfg.steps, disable=not progress, unit="step", dynamic_ncols=True, desc=f"{len(configs)} GANs")

    def stop(index: int, step: int, problem: str) -> None:
        diverged[index] = step  # its last good checkpoint stays; the others train on
        log.warning("sweep: %s diverged at step %d (%s); its last good checkpoint is kept", runs[index].path,
                    step, problem)  # fmt: skip

    while population.step < cfg.steps:
        statistics.add(population.train_step())
        step = population.step
        due = Due.at(cfg, step)
        if due.log:
            names, rows = statistics.collect()
            seconds, rate = clock.lap(step)
            for index, run in enumerate(runs):
                if diverged[index] is not None:
                    continue
                s = population.sync_member(index)
                record = metrics_record(step, seconds, rate, dict(zip(names, rows[index], strict=True)))
                problem = find_divergence(s, record)
                if problem:
                    stop(index, step, problem)
                    continue
                keep_record(s, run, record)
            bar.update(step - bar.n)
        if due.checkpoint:
            for index, run in enumerate(runs):
                if diverged[index] is not None:
                    continue
                s = population.sync_member(index)
                problem = write_checkpoint(s, run, clock, keep=due.keep)  # the loop's NaN guard, then the save
                if problem:
                    stop(index, step, problem)
                    continue
                if due.sample:
                    save_samples_frame(s, run.sample_path(step), title=f"step {step}")
    bar.close()
    for index, run in enumerate(runs):
        if diverged[index] is None:
            finish(population.sync_member(index), run)
    return {"diverged": diverged, "seconds": clock.elapsed()}


# -- the sweep ---------------------------------------------------------------------------------------


def run_sweep(spec: SweepSpec, progress: bool = True) -> dict[str, Any]:
    """Train every member (vmapped groups where possible), evaluate, rank; write summary.md and .json."""
    from ganforge.api import train as train_alone

    RunDir(spec.out).check_free()
    configs = member_configs(spec)
    metric = _metric(spec.metric, configs[0])
    groups: dict[str, list[int]] = {}
    for index, cfg in enumerate(configs):
        reason = "--sequential was given" if spec.sequential else why_not_batched(cfg)
        if reason is None:
            groups.setdefault(_group_key(cfg), []).append(index)
        else:
            log.info("sweep: %s trains on its own: %s", Path(cfg.out).name, reason)
            groups[f"alone-{index}"] = [index]
    status: dict[int, int | None] = {}
    started = time.perf_counter()
    data_cache: dict[str, Any] = {}
    for key, members in groups.items():
        if key.startswith("alone-"):
            (index,) = members
            train_alone(configs[index], progress=progress)
            status[index] = None
            continue
        for index in members:  # members of a group train without health signals: say so in their config
            configs[index].train.health_every = 0
        data = _shared_data(configs[members[0]], data_cache)
        result = train_population([configs[i] for i in members], data, progress=progress)
        status.update(zip(members, result["diverged"], strict=True))
    train_seconds = time.perf_counter() - started
    rows = _evaluate(configs, status, metric, spec)
    summary = _summary(spec, configs, rows, metric, train_seconds, groups)
    _write_summary(spec.out, summary)
    return summary


def _metric(name: str | None, cfg: Config) -> str | None:
    kind = "points" if cfg.data.name in ("ring", "grid") else "image"
    name = name or ("modes" if kind == "points" else "fid")
    if name == "none":
        return None
    if name not in RANK_BY:
        raise GanforgeError(f"--metric {name} cannot rank a sweep", f"choose one of: {', '.join(RANK_BY)}, none")
    from ganforge.evaluate import parse_metrics

    parse_metrics([name], kind, cfg.data.name)  # the same checks as ganforge eval
    return name


def _shared_data(cfg: Config, cache: dict[str, Any]) -> Any:
    key = json.dumps([dataclasses.asdict(cfg.data), cfg.train.device], sort_keys=True)
    if key not in cache:
        cache[key] = load_dataset(cfg.data, pick_device(cfg.train.device))
    return cache[key]


def _evaluate(configs: list[Config], status: dict[int, int | None], metric: str | None, spec: SweepSpec) -> list:
    from ganforge.evaluate import evaluate_run

    rows = []
    for index, cfg in enumerate(configs):
        row: dict[str, Any] = {"member": Path(cfg.out).name, "path": cfg.out, "seed": cfg.train.seed}
        row.update({key: _get(cfg, key) for key in spec.grid})
        row["status"] = "done" if status.get(index) is None else f"diverged at step {status[index]}"
        if metric is not None and status.get(index) is None:
            result = evaluate_run(cfg.out, [metric], n=spec.eval_n, device=cfg.train.device)
            row.update(result["metrics"])
        rows.append(row)
    if metric is not None:
        key, higher = RANK_BY[metric]
        rows.sort(key=_rank_key(key, higher))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


def _rank_key(key: str, higher: bool) -> Callable[[dict], tuple]:
    def rank(row: dict) -> tuple:
        value = row.get(key)
        if value is None or not math.isfinite(value):
            return (1, 0.0)  # diverged or unmeasured members last
        return (0, -value if higher else value)

    return rank


def _get(cfg: Config, dotted: str) -> Any:
    section, _, name = dotted.partition(".")
    return getattr(getattr(cfg, section), name)


def _summary(spec: SweepSpec, configs: list[Config], rows: list, metric: str | None, seconds: float, groups) -> dict:
    batched = sum(len(m) for key, m in groups.items() if not key.startswith("alone-"))
    return {
        "members": len(configs),
        "batched_members": batched,
        "metric": metric,
        "rank_by": RANK_BY[metric][0] if metric else None,
        "eval_n": spec.eval_n if metric else None,
        "train_seconds": round(seconds, 2),
        "varied": list(spec.grid),
        "rows": rows,
    }


def summary_table(summary: dict[str, Any]) -> str:
    """The ranking as a markdown table."""
    rank_by = summary["rank_by"]
    columns = ["rank", "member", "seed", *summary["varied"], *([rank_by] if rank_by else []), "status"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in summary["rows"]:
        cells = [_cell(row.get(column)) for column in columns]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        f"{summary['members']} members ({summary['batched_members']} trained batched), "
        f"{summary['train_seconds']:.1f} s of training"
        + (f"; ranked by {rank_by} on {summary['eval_n']} samples" if rank_by else "")
    )
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def _write_summary(out: Path, summary: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    write_text_atomic(out / "summary.md", summary_table(summary) + "\n")
