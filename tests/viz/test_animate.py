"""Progress GIFs of the sample snapshots."""

from __future__ import annotations

import pytest
from PIL import Image

from ganforge.errors import GanforgeError
from ganforge.viz.animate import make_gif, step_of


def snapshot(folder, step, shade, size=(40, 30)):
    path = folder / f"step_{step:06d}.png"
    Image.new("RGB", size, (shade, 255 - shade, 0)).save(path)
    return path


def test_gif_has_one_frame_per_snapshot_and_loops(tmp_path):
    frames = [snapshot(tmp_path, step, shade) for step, shade in [(0, 0), (100, 120), (200, 250)]]
    out = make_gif(frames, tmp_path / "progress.gif", seconds_per_frame=0.1, hold_last=1.5)
    with Image.open(out) as gif:
        assert gif.n_frames == 3
        assert gif.info["loop"] == 0
        assert gif.size == (40, 30)
        durations = []
        for index in range(gif.n_frames):
            gif.seek(index)
            durations.append(gif.info["duration"])
    assert durations == [100, 100, 1500]
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_frames_of_another_size_are_resized_to_the_first(tmp_path):
    frames = [snapshot(tmp_path, 1, 0), snapshot(tmp_path, 2, 200, size=(80, 60))]
    with Image.open(make_gif(frames, tmp_path / "progress.gif")) as gif:
        assert gif.n_frames == 2
        assert gif.size == (40, 30)


def test_a_single_frame_still_makes_a_gif(tmp_path):
    with Image.open(make_gif([snapshot(tmp_path, 1, 0)], tmp_path / "progress.gif")) as gif:
        assert gif.n_frames == 1


def test_no_frames_is_an_error(tmp_path):
    with pytest.raises(GanforgeError, match="no frames"):
        make_gif([], tmp_path / "progress.gif")


def test_a_missing_frame_is_an_error_naming_it(tmp_path):
    with pytest.raises(GanforgeError, match="step_000005.png"):
        make_gif([tmp_path / "step_000005.png"], tmp_path / "progress.gif")


def test_step_of_reads_the_step_from_the_file_name(tmp_path):
    assert step_of("samples/step_001000.png") == 1000
    assert step_of(tmp_path / "step_000000.png") == 0
    names = ["step_000200.png", "step_001000.png", "step_000010.png"]
    assert sorted(names, key=step_of) == ["step_000010.png", "step_000200.png", "step_001000.png"]


def test_step_of_a_name_without_a_number_is_an_error():
    with pytest.raises(GanforgeError, match="final.png"):
        step_of("samples/final.png")
