"""The 2-D game frames the training loop records for ring and grid runs."""

import importlib

import torch

from ganforge.config import Config, apply_overrides
from ganforge.game2d import FIELD_SIZE, FRAME_POINTS, plane_grid, read_game_frame
from ganforge.resolve import resolve
from ganforge.run import RunDir
from ganforge.train import build_session, fit

training_loop = importlib.import_module("ganforge.train")  # the module; ganforge.train is the function


def trained_ring(tmp_path, steps=40):
    values = {
        "data.name": "ring",
        "model.z_dim": 2,
        "model.g_hidden": [32],
        "model.d_hidden": [32],
        "train.steps": steps,
        "train.batch_size": 32,
        "train.log_every": 10,
        "train.sample_every": 20,
        "train.checkpoint_every": 20,
        "train.health_every": 0,
        "out": str(tmp_path / "run"),
    }
    cfg = resolve(apply_overrides(Config(), values))
    session = build_session(cfg)
    run = RunDir.create(cfg.out, cfg)
    fit(session, run, progress=False)
    return session, run


def test_the_plane_grid_is_row_major_from_the_top_left_like_a_canvas():
    points = plane_grid(2.0, size=3)
    assert points.shape == (9, 2)
    assert points[0].tolist() == [-2.0, 2.0]  # top left
    assert points[2].tolist() == [2.0, 2.0]  # top right
    assert points[8].tolist() == [2.0, -2.0]  # bottom right


def test_each_sample_frame_of_a_ring_run_records_the_game_beside_it(tmp_path):
    session, run = trained_ring(tmp_path)
    frames = sorted(path.name for path in run.samples_dir.glob("*.json"))
    assert frames == ["step_000020.json", "step_000040.json"]
    assert not (run.path / "final.json").exists()  # the end-of-run picture is not a frame of the game
    frame = read_game_frame(run.samples_dir / "step_000040.json")
    assert frame["step"] == 40 and frame["loss"] == "non-saturating"
    assert len(frame["real"]) == len(frame["fake"]) == FRAME_POINTS
    assert frame["field"]["size"] == FIELD_SIZE and len(frame["field"]["values"]) == FIELD_SIZE**2
    # the field is D's output on the plane, as the final weights give it
    grid = plane_grid(frame["limit"])
    with torch.no_grad():
        expected = session.gan.discriminate(grid)
    assert torch.allclose(torch.tensor(frame["field"]["values"]), expected, atol=2e-3)
    # the real points are the same fixed draw the scatter plot shows, and they sit on the ring of radius 1
    real = torch.tensor(frame["real"])
    assert torch.allclose(real, session.data.real(1000)[:FRAME_POINTS], atol=1e-3)
    assert (real.norm(dim=1) - 1).abs().max() < 0.1


def test_frames_are_small_and_recording_them_leaves_training_bit_for_bit_the_same(tmp_path, monkeypatch):
    recorded, run = trained_ring(tmp_path / "with")
    for path in run.samples_dir.glob("*.json"):
        assert path.stat().st_size < 64_000
    monkeypatch.setattr(training_loop, "record_game_frame", lambda *args, **kwargs: None)
    plain, run = trained_ring(tmp_path / "without")
    assert not list(run.samples_dir.glob("*.json"))
    for name in ("G", "D"):
        ours, theirs = getattr(recorded.gan, name).state_dict(), getattr(plain.gan, name).state_dict()
        assert all(torch.equal(ours[key], theirs[key]) for key in ours), name


def test_an_unreadable_frame_reads_as_none(tmp_path):
    (tmp_path / "cut.json").write_text('{"step": 1, "fie')
    (tmp_path / "other.json").write_text("[1, 2]")
    assert read_game_frame(tmp_path / "cut.json") is None
    assert read_game_frame(tmp_path / "other.json") is None
    assert read_game_frame(tmp_path / "missing.json") is None
