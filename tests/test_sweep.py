"""ganforge sweep: many small GANs at once, each as if trained alone, each a normal run folder, ranked."""

import json
import math
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import ganforge
from ganforge.cli import main
from ganforge.config import Config, apply_overrides
from ganforge.errors import GanforgeError
from ganforge.sweep import SweepSpec, parse_seeds, parse_setting, run_sweep

RING = {
    "data.name": "ring", "model.z_dim": 2, "model.g_hidden": [32], "model.d_hidden": [32],
    "train.batch_size": 32, "train.log_every": 10, "train.sample_every": 1000, "train.checkpoint_every": 20,
}  # fmt: skip


def ring(steps: int, **overrides) -> Config:
    return apply_overrides(Config(), {**RING, "train.steps": steps, **overrides})


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """Four ring GANs (2 seeds x 2 learning rates of D), 30 steps, trained as one vmapped population."""
    out = tmp_path_factory.mktemp("sweep") / "lr"
    spec = SweepSpec(base=ring(30), out=out, seeds=[0, 1], grid={"optim.lr_d": [1e-3, 2e-4]}, eval_n=500)
    return run_sweep(spec, progress=False)


def test_a_vmapped_member_reaches_the_weights_it_reaches_alone(swept, tmp_path):
    assert swept["batched_members"] == 4
    members = {row["member"]: row for row in swept["rows"]}
    for name in ("member-00", "member-03"):  # seed 0 with lr 1e-3, and seed 1 with lr 2e-4
        row = members[name]
        cfg = ganforge.load(row["path"]).config  # the member's own config.yaml, as a solo run
        cfg.out = str(tmp_path / name)
        alone = load_file(ganforge.train(cfg) / "checkpoints/latest.safetensors")
        together = load_file(f"{row['path']}/checkpoints/latest.safetensors")
        assert alone.keys() == together.keys()
        for key in alone:  # weights, both optimisers' moments, random streams
            assert torch.allclose(alone[key].float(), together[key].float(), rtol=1e-4, atol=1e-5), key
    first = load_file(f"{members['member-00']['path']}/checkpoints/latest.safetensors")
    other_seed = load_file(f"{members['member-02']['path']}/checkpoints/latest.safetensors")
    assert not torch.allclose(first["G.net.0.weight"], other_seed["G.net.0.weight"])


def test_member_folders_load_sample_evaluate_and_resume(swept, tmp_path):
    path = swept["rows"][0]["path"]
    gan = ganforge.load(path)
    assert gan.step == 30 and gan.config.train.seed in (0, 1)
    assert gan.sample(10).shape == (10, 2)
    assert (Path(path) / "eval.json").is_file()  # the sweep evaluated it like ganforge eval does
    assert ganforge.resume(path, steps=40).joinpath("final.png").is_file()
    assert ganforge.load(path).step == 40


def test_the_summary_ranks_members_by_the_metric(swept):
    rows = swept["rows"]
    assert swept["rank_by"] == "modes_captured"
    assert [row["rank"] for row in rows] == [1, 2, 3, 4]
    captured = [row["modes_captured"] for row in rows]
    assert captured == sorted(captured, reverse=True)  # more modes first
    swept_path = Path(rows[0]["path"]).parent / "summary.md"
    table = swept_path.read_text()
    assert table.index(rows[0]["member"]) < table.index(rows[-1]["member"])
    assert swept_path.with_suffix(".json").is_file()


def test_lower_fid_ranks_first_and_diverged_members_last():
    from ganforge.sweep import _rank_key

    rows = [{"fid": 30.0}, {"fid": math.nan}, {"fid": 12.0}, {}]
    assert [row.get("fid") for row in sorted(rows, key=_rank_key("fid", higher=False))][:2] == [12.0, 30.0]


def test_members_that_cannot_be_batched_train_alone(tmp_path):
    spec = SweepSpec(base=ring(10, **{"train.loss": "wgan"}), out=tmp_path / "w", seeds=[0, 1], metric="none")
    summary = run_sweep(spec, progress=False)
    assert summary["batched_members"] == 0
    assert [row["status"] for row in summary["rows"]] == ["done", "done"]
    assert ganforge.load(summary["rows"][1]["path"]).step == 10


def test_seeds_and_values_parse_and_bad_ones_are_one_line_errors(tmp_path, capsys):
    assert parse_seeds("0-3,10") == [0, 1, 2, 3, 10]
    assert parse_setting("optim.betas=[0.5,0.999],[0.9,0.999]") == ("optim.betas", [[0.5, 0.999], [0.9, 0.999]])
    with pytest.raises(GanforgeError):
        parse_seeds("1,1")
    for argv in (
        ["sweep", "--seeds", "a-b", "--out", str(tmp_path / "x")],
        ["sweep", "--set", "train.sed=1,2", "--out", str(tmp_path / "y")],
        ["sweep", "--dataset", "ring", "--metric", "fid", "--out", str(tmp_path / "z")],
        ["sweep", "--dataset", "ring", "--set", "train.time=1m", "--out", str(tmp_path / "t")],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        assert capsys.readouterr().err.count("\n") == 1


def test_a_sweep_file_sets_seeds_and_values_and_the_cli_prints_the_ranking(tmp_path, capsys):
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(
        "data: {name: ring}\nmodel: {z_dim: 2, g_hidden: [16], d_hidden: [16]}\n"
        "train: {steps: 5, batch_size: 16, sample_every: 5, checkpoint_every: 5}\n"
        "sweep: {seeds: 0-1, set: {optim.lr_g: [1.0e-3, 5.0e-4]}, metric: none}\n"
    )
    main(["sweep", "--config", str(sweep_file), "--out", str(tmp_path / "s"), "--quiet"])
    table = capsys.readouterr().out
    assert table.count("| member-") == 4 and "4 trained batched" in table
    lrs = sorted(ganforge.load(tmp_path / "s" / f"member-0{i}").config.optim.lr_g for i in range(4))
    assert lrs == [5e-4, 5e-4, 1e-3, 1e-3]


def test_members_with_options_the_batched_step_does_not_carry_train_alone():
    from ganforge.config import Config, apply_overrides
    from ganforge.resolve import resolve
    from ganforge.sweep import why_not_batched

    plain = resolve(apply_overrides(Config(), {"data.name": "ring", "model.z_dim": 2}))
    assert why_not_batched(plain) is None
    for overrides, word in [({"train.ema": 0.99}, "train.ema"), ({"model.minibatch_std": True}, "minibatch_std"),
                            ({"train.unroll": 2}, "train.unroll")]:  # fmt: skip
        cfg = resolve(apply_overrides(Config(), {"data.name": "ring", "model.z_dim": 2, **overrides}))
        assert word in why_not_batched(cfg)
    labelled = resolve(apply_overrides(Config(), {"model.condition": "acgan"}))
    assert "class labels" in why_not_batched(labelled)


def test_a_nan_in_one_member_never_reaches_its_latest_checkpoint(tmp_path, monkeypatch):
    # Member 1's weights turn NaN after step 5. Checkpoints fall every 2 steps and records every 4, so the
    # first save after the NaN (step 6) comes before any record could notice it: the loop's guard must.
    from ganforge.sweep import Population

    update = Population.train_step

    def poisoned(self):
        reported = update(self)
        if self.step == 5:
            with torch.no_grad():
                for weight in self.weights_G.values():
                    weight[1] = float("nan")
        return reported

    monkeypatch.setattr(Population, "train_step", poisoned)
    base = ring(8, **{"train.log_every": 4, "train.sample_every": 2, "train.checkpoint_every": 2})
    summary = run_sweep(SweepSpec(base=base, out=tmp_path / "nan", seeds=[0, 1], metric="none"), progress=False)
    rows = {row["member"]: row for row in summary["rows"]}
    assert summary["batched_members"] == 2
    assert rows["member-00"]["status"] == "done" and ganforge.load(rows["member-00"]["path"]).step == 8
    assert rows["member-01"]["status"] == "diverged at step 6"
    latest = load_file(f"{rows['member-01']['path']}/checkpoints/latest.safetensors")
    assert all(torch.isfinite(tensor).all() for tensor in latest.values())
    assert ganforge.load(rows["member-01"]["path"]).step == 4  # the last good checkpoint


@pytest.mark.parametrize("reuse", [False, True])
def test_a_member_logs_and_reaches_what_it_does_alone_with_several_D_steps(tmp_path, reuse):
    # D's statistics are means over the k D updates of an interval, in a population as in a lone run; and G's
    # update reusing the last D update's fakes (train.g_reuse_fakes) is the same update in both.
    base = ring(20, **{"train.d_steps": 2, "train.g_reuse_fakes": reuse})
    summary = run_sweep(SweepSpec(base=base, out=tmp_path / "k", seeds=[0], metric="none"), progress=False)
    path = summary["rows"][0]["path"]
    cfg = ganforge.load(path).config
    cfg.out = str(tmp_path / "alone")
    run = ganforge.train(cfg)
    alone = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    together = [json.loads(line) for line in (Path(path) / "metrics.jsonl").read_text().splitlines()]
    assert [record["step"] for record in together] == [record["step"] for record in alone]
    for a, b in zip(alone, together, strict=True):
        for key in ("loss/D", "D(x)", "D(G(z))", "loss/G"):
            assert math.isclose(a[key], b[key], rel_tol=1e-4, abs_tol=1e-6), (key, a[key], b[key])
    alone_weights = load_file(run / "checkpoints/latest.safetensors")
    together_weights = load_file(f"{path}/checkpoints/latest.safetensors")
    for key in alone_weights:  # float rounding of the batched matmuls, grown by Adam over 40 D updates: ~1e-4
        assert torch.allclose(alone_weights[key].float(), together_weights[key].float(), rtol=1e-3, atol=1e-3), key
