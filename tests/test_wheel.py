"""A real package: the wheel carries the shipped weights and the explorer's pages, and works outside the tree.

The wheel is built from a copy of the tracked source files (``python -m build --wheel --no-isolation``), then
installed into a fresh virtual environment that reaches torch and the other dependencies through this
environment's site-packages (a ``.pth`` line: no download, no multi-gigabyte resolve), and ``ganforge train``,
``sample`` and ``eval`` run from it in a folder outside the source tree. It takes about a minute, so plain
``pytest`` skips it; ``make test`` (and ``make wheel-test``) set GANFORGE_WHEEL_TEST=1 and run it.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [
    "ganforge/metrics/weights/mnist-cnn.safetensors",
    "ganforge/metrics/weights/fashion-cnn.safetensors",
    "ganforge/metrics/weights/classifiers.json",
    "ganforge/serve/static/index.html",
    "ganforge/serve/static/app.js",
    "ganforge/serve/static/app.css",
]

pytestmark = pytest.mark.skipif(
    os.environ.get("GANFORGE_WHEEL_TEST") != "1", reason="about a minute: run by 'make test' or 'make wheel-test'"
)


def _tracked_copy(target: Path) -> Path:
    """The tracked files of the source tree (what a release holds), copied to ``target``."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        if name.startswith(("src/", "pyproject.toml", "README.md")):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def _run(command: list, cwd: Path, env: dict) -> str:
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_wheel_installs_into_a_fresh_environment_and_trains_samples_and_evaluates(tmp_path):
    source = _tracked_copy(tmp_path / "source")
    clean = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", tmp_path / "dist", source],
         tmp_path, clean)  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("ganforge-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert set(SHIPPED) <= set(archive.namelist())

    fresh = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(fresh)
    python = fresh / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path, clean)
                .strip())  # fmt: skip
    # torch, numpy and the rest from this environment: a path line (its own .pth files, such as this checkout's
    # editable install, are not processed, so ganforge itself comes from the wheel alone)
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel],
         tmp_path, clean)  # fmt: skip

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**clean, "GANFORGE_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    where = _run([python, "-c", "import ganforge; print(ganforge.__file__)"], work, env)
    assert where.startswith(str(site)), where  # the installed wheel, not the source tree
    ganforge = fresh / "bin" / "ganforge"
    _run([ganforge, "train", "--steps", "20", "--sample-every", "10", "--quiet", "--out", "run"], work, env)
    _run([ganforge, "sample", "run", "--n", "16", "--out", "samples.png"], work, env)
    said = _run([ganforge, "eval", "run", "--metrics", "fid", "--n", "200", "--json"], work, env)
    assert '"fid"' in said and (work / "run" / "eval.json").is_file() and (work / "samples.png").is_file()
