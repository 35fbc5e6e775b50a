"""Evaluation end to end: metrics of runs and of sample files, from Python and the command line."""

import json

import numpy as np
import pytest
import torch

import ganforge
from ganforge import evaluate
from ganforge.cli import main
from ganforge.config import Config, DataConfig, apply_overrides
from ganforge.data import load_dataset
from ganforge.errors import GanforgeError
from ganforge.metrics.extractors import get_extractor
from ganforge.run import RunDir


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("eval") / "ring"
    cfg = apply_overrides(Config.load("configs/ring.yaml"), {
        "out": str(path), "train.eval_every": 1000, "train.eval_samples": 1000,
    })  # fmt: skip
    return ganforge.train(cfg)


def test_training_records_metrics_as_it_goes(ring_run):
    records = [r for r in RunDir(ring_run).read_metrics() if "eval/modes_captured" in r]
    assert [r["step"] for r in records] == [1000, 2000, 3000]
    assert records[-1]["eval/modes_captured"] >= 6 and records[-1]["eval/modes_total"] == 8


def test_eval_of_a_2d_run_counts_modes_and_writes_eval_json(ring_run, capsys):
    main(["eval", str(ring_run), "--n", "2500", "--json"])  # returns normally on success
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads((ring_run / "eval.json").read_text())
    assert printed == saved["metrics"]
    assert saved["step"] == 3000 and saved["n"] == 2500
    assert printed["modes_captured"] >= 6 and 0.2 < printed["high_quality"] <= 1
    assert 0 <= printed["precision"] <= 1 and 0 <= printed["recall"] <= 1


def test_the_metrics_follow_sample_quality_and_diversity():
    # Real test digits as the reference; "generators" of known quality: other real digits, the same digits
    # with more and more noise, and digits of only two classes (a mode collapse).
    extractor = get_extractor("mnist-cnn")
    real = evaluate.reference(DataConfig(name="mnist", split="test"), extractor, 1000, torch.device("cpu"))
    train = load_dataset(DataConfig(name="mnist"))
    digits = train.real(1000)
    noise = torch.randn(digits.shape, generator=torch.Generator().manual_seed(0))
    noisy = [evaluate.embed((digits + level * noise).clamp(-1, 1), extractor) for level in (0.0, 0.3, 0.6, 1.0)]
    scores = [evaluate.compute(["fid", "kid", "precision-recall"], real, fake) for fake in noisy]
    fids = [score["fid"] for score in scores]
    assert fids == sorted(fids) and fids[-1] > 10 * fids[0], fids
    assert scores[0]["precision"] > 0.8 and scores[-1]["precision"] < scores[0]["precision"]

    two_classes = train.real()[torch.isin(train.labels, torch.tensor([0, 1]))][:1000]
    collapsed = evaluate.compute(["fid", "precision-recall", "classes"], real, evaluate.embed(two_classes, extractor))
    assert collapsed["classes_covered"] == 2 and scores[0]["recall"] > 2 * collapsed["recall"]
    assert collapsed["class_kl"] > 0.5


def test_real_data_against_itself_is_a_perfect_score_and_against_noise_a_bad_one(tmp_path):
    real = load_dataset(DataConfig(name="mnist", split="test")).real(600).numpy()
    train = load_dataset(DataConfig(name="mnist")).real(600).numpy()
    noise = np.random.default_rng(0).uniform(-1, 1, real.shape).astype(np.float32)
    for name, array in (("real", real), ("train", train), ("noise", noise)):
        np.save(tmp_path / f"{name}.npy", array)
    same = evaluate.evaluate_arrays(tmp_path / "real.npy", tmp_path / "real.npy", extractor="mnist-cnn")["metrics"]
    assert same["fid"] == pytest.approx(0, abs=1e-6)
    assert same["precision"] == 1 and same["recall"] == 1
    floor = evaluate.evaluate_arrays(tmp_path / "real.npy", tmp_path / "train.npy", extractor="mnist-cnn")["metrics"]
    bad = evaluate.evaluate_arrays(tmp_path / "real.npy", tmp_path / "noise.npy", extractor="mnist-cnn")["metrics"]
    assert floor["fid"] < 0.05 * bad["fid"]
    assert floor["classes_covered"] == 10 and bad["recall"] < 0.05


def test_reference_features_are_computed_once_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    extractor = get_extractor("mnist-cnn")
    first = evaluate.reference(DataConfig(name="mnist", split="test"), extractor, 200, torch.device("cpu"))
    cached = list((tmp_path / "ganforge/reference").glob("*.safetensors"))
    assert len(cached) == 1 and extractor.weights_sha256[:16] in cached[0].name
    embed = evaluate.embed
    monkeypatch.setattr(evaluate, "embed", lambda *a, **k: pytest.fail("the cache was not used"))
    again = evaluate.reference(DataConfig(name="mnist", split="test"), extractor, 200, torch.device("cpu"))
    assert torch.equal(first.features, again.features)
    # The same n from a data set cut shorter by data.limit is other images: never the cached features.
    monkeypatch.setattr(evaluate, "embed", embed)
    limited = evaluate.reference(DataConfig(name="mnist", split="test", limit=50), extractor, 200, torch.device("cpu"))
    assert len(limited.features) == 50 and len(first.features) == 200
    assert len(list((tmp_path / "ganforge/reference").glob("*.safetensors"))) == 2
    again = evaluate.reference(DataConfig(name="mnist", split="test"), extractor, 200, torch.device("cpu"))
    assert torch.equal(first.features, again.features)


@pytest.mark.parametrize(
    "args, words",
    [
        (["eval"], ["nothing to evaluate"]),
        (["eval", "--real", "a.npy"], ["nothing to evaluate"]),
        (["eval", "--real", "missing.npy", "--fake", "missing.npy"], ["missing.npy", "does not exist"]),
        (["eval", "RUNFOLDER", "--metrics", "fdi"], ["unknown metric 'fdi'"]),
        (["eval", "RUNFOLDER", "--metrics", "fid"], ["needs images"]),
        (["eval", "RUNFOLDER", "--extractor", "inception"], ["2-D points"]),
        (["eval", "RUNFOLDER", "--n", "0"], ["--n 0"]),
    ],
)
def test_bad_eval_requests_give_one_line(args, words, ring_run, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [str(ring_run) if a == "RUNFOLDER" else a for a in args]
    with pytest.raises(SystemExit) as exit_:
        main(args)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert exit_.value.code == 2 and len(lines) == 1, err
    for word in words:
        assert word in lines[0]


def test_sample_files_of_the_wrong_shape_are_refused(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((10, 1, 28, 28), np.float32))
    np.save(tmp_path / "b.npy", np.zeros((10, 3, 32, 32), np.float32))
    np.save(tmp_path / "c.npy", np.zeros((10, 5), np.int64))
    with pytest.raises(GanforgeError, match="shape"):
        evaluate.evaluate_arrays(tmp_path / "a.npy", tmp_path / "b.npy")
    with pytest.raises(GanforgeError, match="int64"):
        evaluate.evaluate_arrays(tmp_path / "c.npy", tmp_path / "c.npy")


def test_parzen_prints_the_log_likelihood_with_its_standard_error(tmp_path, capsys):
    # The Parzen window on pixels (Goodfellow et al. 2014, Table 1): real training digits as the samples score
    # far above uniform noise; sigma is chosen on the first half of --real, the second half is scored.
    real = load_dataset(DataConfig(name="mnist", split="test")).real(200).numpy()
    train = load_dataset(DataConfig(name="mnist")).real(1000).numpy()
    noise = np.random.default_rng(0).uniform(-1, 1, train.shape).astype(np.float32)
    for name, array in (("real", real), ("train", train), ("noise", noise)):
        np.save(tmp_path / f"{name}.npy", array)
    main(["eval", "--real", str(tmp_path / "real.npy"), "--fake", str(tmp_path / "train.npy"), "--metrics", "parzen"])
    printed = capsys.readouterr().out
    assert "parzen_ll " in printed and "parzen_ll_se " in printed and "parzen_sigma " in printed
    assert "in pixel space:" in printed and "feature space" not in printed  # Parzen windows sit on the pixels
    digits = evaluate.evaluate_arrays(tmp_path / "real.npy", tmp_path / "train.npy", "parzen", "mnist-cnn")["metrics"]
    bad = evaluate.evaluate_arrays(tmp_path / "real.npy", tmp_path / "noise.npy", "parzen", "mnist-cnn")["metrics"]
    assert digits["parzen_ll"] > bad["parzen_ll"] + 100
    assert 0 < digits["parzen_ll_se"] < 20 and 0 < digits["parzen_sigma"] < 1
    assert "parzen" not in evaluate.parse_metrics(None, "image", "mnist")  # slow and paper-specific: asked for
    with pytest.raises(GanforgeError, match="needs images"):
        evaluate.parse_metrics("parzen", "points", "ring")
