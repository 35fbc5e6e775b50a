"""Mutation testing: put each classic GAN bug back into a copy of the code and check the suite notices.

python scripts/mutants.py              # every named mutant (make mutants); exit 1 if any survives
python scripts/mutants.py gp-mixing-normal r1-create-graph-false   # some of them
python scripts/mutants.py --list

Each mutant replaces one exact snippet of one source file with the bug. For each, src/ is copied to a temporary
folder, the snippet is replaced there (never in the real tree), and only the fast tests mapped to that module run
with PYTHONPATH pointing at the copy. A mutant is killed when those tests fail; it survives when they pass. The
unmutated copy runs every mapped test first, so a failure is the mutant's doing. A snippet that is no longer in
its file is an error: the code moved, and the list must follow it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 300  # per mutant: a mutant that hangs the tests counts as killed, as a hang would be noticed


@dataclass(frozen=True)
class Mutant:
    """One bug: in ``path`` (under src/ganforge), ``original`` becomes ``replacement``; ``tests`` must notice."""

    name: str
    bug: str
    path: str
    original: str
    replacement: str
    tests: tuple[str, ...]  # pytest arguments: files, node ids, or "-k" and an expression


LOSSES = ("tests/test_losses.py",)
R2 = ("tests/test_r3gan.py", "-k", "r2 or zero_centred")
EMA = ("tests/test_ema.py",)
AUGMENT = ("tests/test_tricks.py", "-k", "augment")
FID = ("tests/metrics/test_fid.py",)
KID = ("tests/metrics/test_kid.py",)
PRDC = ("tests/metrics/test_prdc.py",)
PARZEN = ("tests/metrics/test_parzen.py",)

MUTANTS = [
    Mutant("gp-mixing-per-pixel", "the gradient penalty's eps drawn per pixel, not per sample", "losses.py",
           "shape = (real.shape[0] * world_size(),) + (1,) * (real.dim() - 1)",
           "shape = (real.shape[0] * world_size(),) + tuple(real.shape[1:])", LOSSES),
    Mutant("gp-mixing-normal", "eps ~ N(0, 1) instead of U[0, 1]: interpolates beyond the segment", "losses.py",
           "eps = local_rows(torch.rand(shape,", "eps = local_rows(torch.randn(shape,", LOSSES),
    Mutant("gp-create-graph-false", "the gradient penalty without create_graph: it never trains D", "losses.py",
           "(grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)",
           "(grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=False)", LOSSES),
    Mutant("gp-gradient-detached", "the penalty on a detached gradient: D's weights see nothing", "losses.py",
           "return (grad.flatten(1).norm(2, dim=1) - 1).pow(2).mean()",
           "return (grad.detach().flatten(1).norm(2, dim=1) - 1).pow(2).mean()", LOSSES),
    Mutant("gp-input-not-detached", "the interpolates keep G's graph: the penalty pushes G too", "losses.py",
           "x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)",
           "x_hat = eps * real.detach() + (1 - eps) * fake\n"
           "    x_hat = x_hat if x_hat.requires_grad else x_hat.requires_grad_(True)", LOSSES),
    Mutant("r1-create-graph-false", "R1 without create_graph: it never trains D", "losses.py",
           "(grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)",
           "(grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=False)", LOSSES),
    Mutant("r2-create-graph-false", "R2 without create_graph: it never trains D", "losses.py",
           "(grad,) = torch.autograd.grad(critic(x_fake).sum(), x_fake, create_graph=True)",
           "(grad,) = torch.autograd.grad(critic(x_fake).sum(), x_fake, create_graph=False)", R2),
    Mutant("r2-on-real", "R2 taken on the real batch: two R1s, and D left steep where the fakes are", "gans/base.py",
           "losses.r2_penalty(D, step.fake)", "losses.r2_penalty(D, step.real)", R2),
    Mutant("hinge-real-sign", "hinge: real samples pushed below -1", "losses.py",
           "F.relu(1 - real_scores)", "F.relu(1 + real_scores)", LOSSES),
    Mutant("hinge-fake-sign", "hinge: fake samples pushed above +1", "losses.py",
           "F.relu(1 + fake_scores)", "F.relu(1 - fake_scores)", LOSSES),
    Mutant("wgan-critic-sign", "the critic minimises its own Wasserstein estimate", "losses.py",
           "return fake_scores.mean() - real_scores.mean()", "return real_scores.mean() - fake_scores.mean()", LOSSES),
    Mutant("wgan-generator-sign", "G lowers the critic's score of its samples", "losses.py",
           "return -fake_scores.mean()", "return fake_scores.mean()", LOSSES),
    Mutant("non-saturating-sign", "G minimises log D(G(z)) instead of -log D(G(z))", "losses.py",
           "return F.softplus(-fake_logits).mean()", "return F.softplus(fake_logits).mean()", LOSSES),
    Mutant("ema-skips-buffers", "G_ema keeps the batch-norm statistics of step 0", "ema.py",
           "average.copy_(current)", "pass", EMA),
    Mutant("ema-decay-swapped", "G_ema <- (1 - decay) G_ema + decay G: a copy of G, not an average", "ema.py",
           "average.mul_(decay).add_(current, alpha=1 - decay)",
           "average.mul_(1 - decay).add_(current, alpha=decay)", EMA),
    Mutant("augment-real-only", "D's step shows it augmented real images beside plain fakes", "gans/gan.py",
           "loss_D_fake = losses.d_loss_fake(fake_logits)",
           "loss_D_fake = losses.d_loss_fake(self.D(step.fake))", AUGMENT),
    Mutant("augment-off", "DiffAugment configured but never applied", "gans/augment.py",
           "x = POLICIES[name](x, self.generator)", "x = x", AUGMENT),
    Mutant("fid-population-covariance", "FID fits Gaussians with the population covariance (ddof 0)",
           "metrics/fid.py", "np.cov(features, rowvar=False)", "np.cov(features, rowvar=False, bias=True)", FID),
    Mutant("fid-float32-root", "the covariance square root taken in float32", "metrics/fid.py",
           "eigenvalues, eigenvectors = np.linalg.eigh(matrix)",
           "eigenvalues, eigenvectors = np.linalg.eigh(matrix.astype(np.float32))", FID),
    Mutant("fid-float32-trace", "Tr((S1 S2)^(1/2)) from float32 eigenvalues", "metrics/fid.py",
           "np.linalg.eigvalsh(middle)", "np.linalg.eigvalsh(middle.astype(np.float32))", FID),
    Mutant("kid-biased-mmd", "KID's within-set terms keep the diagonal k(x_i, x_i): the biased MMD",
           "metrics/kid.py", "within_x = (k_xx.sum() - k_xx.diagonal().sum()) / (m * (m - 1))",
           "within_x = k_xx.mean()", KID),
    Mutant("prdc-k-counts-self", "the k-NN radius counts the point itself: the (k-1)-th neighbour",
           "metrics/prdc.py", "topk(k + 1, dim=1", "topk(k, dim=1", PRDC),
    Mutant("prdc-precision-recall-swapped", "precision and recall returned in each other's place",
           "metrics/prdc.py", "return precision, recall", "return recall, precision", PRDC),
    Mutant("density-without-k", "density not divided by k", "metrics/prdc.py",
           "density = balls_hit / (k * fake.shape[0])", "density = balls_hit / fake.shape[0]", PRDC),
    Mutant("parzen-sigma-on-test", "Parzen's width chosen on the test digits it then scores", "metrics/parzen.py",
           "choose_sigma(centres, validation, sigmas)", "choose_sigma(centres, test, sigmas)", PARZEN),
    Mutant("parzen-without-log-n", "the kernel sum not divided by the number of centres", "metrics/parzen.py",
           "normaliser = math.log(centres.shape[0]) + dims / 2", "normaliser = dims / 2", PARZEN),
    Mutant("parzen-sigma-not-squared", "the Gaussian's normaliser with sigma where sigma^2 belongs",
           "metrics/parzen.py", "torch.log(2 * math.pi * sigma[:, :, 0] ** 2)",
           "torch.log(2 * math.pi * sigma[:, :, 0])", PARZEN),
    Mutant("parzen-nearest-centre", "the nearest centre's kernel alone instead of the sum over centres",
           "metrics/parzen.py", "torch.logsumexp(-squared / (2 * sigma**2), dim=2)",
           "(-squared / (2 * sigma**2)).amax(dim=2)", PARZEN),
    Mutant("parzen-standard-deviation", "the spread of the test points reported as the standard error",
           "metrics/parzen.py", "per_point.std(unbiased=True) / math.sqrt(per_point.shape[0])",
           "per_point.std(unbiased=True)", PARZEN),
    Mutant("parzen-pixels-minus-one-one", "images scored in [-1, 1], not the paper's [0, 1] pixels", "evaluate.py",
           "return (samples.clamp(-1, 1) + 1) / 2", "return samples.clamp(-1, 1)", PARZEN),
]  # fmt: skip


def pytest_command(tests: tuple[str, ...]) -> list[str]:
    """Fast tests only, stopping at the first failure, leaving no cache behind."""
    return [sys.executable, "-m", "pytest", "-q", "-x", "-m", "not slow", "-p", "no:cacheprovider", *tests]


@dataclass(frozen=True)
class Outcome:
    passed: bool
    seconds: float
    failed: str  # the first failing test, as pytest names it ("" when all passed)


def run_tests(source: Path, tests: tuple[str, ...]) -> Outcome:
    """Run ``tests`` with ganforge imported from ``source``."""
    env = {**os.environ, "PYTHONPATH": str(source), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    started = time.perf_counter()
    try:
        result = subprocess.run(pytest_command(tests), cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=TIMEOUT_S)  # fmt: skip
    except subprocess.TimeoutExpired:
        return Outcome(False, time.perf_counter() - started, f"timed out after {TIMEOUT_S} s")
    failed = [line.split(" ", 1)[1] for line in result.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    return Outcome(result.returncode == 0, time.perf_counter() - started, failed[0] if failed else "")


def copy_source(into: Path) -> Path:
    """A copy of src/ under ``into``; returns the folder to put on PYTHONPATH."""
    source = into / "src"
    shutil.copytree(ROOT / "src", source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return source


def imported_from(source: Path) -> Path:
    """Where a process with PYTHONPATH=source imports ganforge from (it must be the copy)."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    out = subprocess.run([sys.executable, "-c", "import ganforge; print(ganforge.__file__)"], env=env,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return Path(out.strip()).resolve()


def apply(mutant: Mutant, source: Path) -> None:
    """Replace the mutant's snippet in the copy; the snippet must occur exactly once."""
    path = source / "ganforge" / mutant.path
    text = path.read_text()
    count = text.count(mutant.original)
    if count != 1:
        raise SystemExit(f"{mutant.name}: the snippet occurs {count} times in src/ganforge/{mutant.path}, not once; "
                         f"update scripts/mutants.py to the code as it is: {mutant.original!r}")  # fmt: skip
    path.write_text(text.replace(mutant.original, mutant.replacement))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)
    known = {mutant.name: mutant for mutant in MUTANTS}
    if args.list:
        for mutant in MUTANTS:
            print(f"{mutant.name:<30} src/ganforge/{mutant.path:<16} {mutant.bug}")
        return 0
    unknown = [name for name in args.names if name not in known]
    if unknown:
        parser.error(f"unknown mutants {', '.join(unknown)}; see --list")
    chosen = [known[name] for name in args.names] if args.names else MUTANTS
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ganforge-mutants-") as tmp:
        clean = copy_source(Path(tmp) / "clean")
        if not imported_from(clean).is_relative_to(clean.resolve()):
            raise SystemExit(f"ganforge is imported from {imported_from(clean)}, not the copy: check the install")
        for mutant in chosen:  # every snippet is where the list says, before anything runs
            apply(mutant, copy_source(Path(tmp) / "check" / mutant.name))
        for tests in dict.fromkeys(mutant.tests for mutant in chosen):
            if not run_tests(clean, tests).passed:
                raise SystemExit(f"the unmutated code fails {' '.join(tests)}: fix that first")
        rows = []
        for mutant in chosen:
            source = copy_source(Path(tmp) / mutant.name)
            apply(mutant, source)
            outcome = run_tests(source, mutant.tests)
            rows.append((mutant, outcome))
            verdict = "SURVIVED" if outcome.passed else f"killed by {outcome.failed}"
            print(f"{mutant.name:<30} {outcome.seconds:5.1f} s  {verdict}", flush=True)
    print()
    print(table(rows))
    survivors = [mutant.name for mutant, outcome in rows if outcome.passed]
    minutes = (time.perf_counter() - started) / 60
    print(f"\n{len(rows) - len(survivors)} of {len(rows)} mutants killed in {minutes:.1f} minutes")
    if survivors:
        print(f"survived: {', '.join(survivors)}: the tests mapped to them would not notice these bugs")
    return 1 if survivors else 0


def table(rows: list[tuple[Mutant, Outcome]]) -> str:
    """The kill table as Markdown, as docs/reliability.md shows it."""
    lines = ["| mutant | file | the bug | killed by (first failing test) |", "|---|---|---|---|"]
    for mutant, outcome in rows:
        verdict = "**SURVIVED**" if outcome.passed else f"`{outcome.failed.split(' - ')[0].replace('tests/', '')}`"
        lines.append(f"| `{mutant.name}` | {mutant.path} | {mutant.bug} | {verdict} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
