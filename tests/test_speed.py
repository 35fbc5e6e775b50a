"""The speed switches: validated before work starts, and each computes what the plain path computes."""

import pytest
import torch
from safetensors.torch import load_file

import ganforge
from ganforge.config import Config, apply_overrides
from ganforge.errors import GanforgeError
from ganforge.resolve import resolve
from ganforge.train import build_session, effective_precision, train_step

RING = {
    "data.name": "ring", "model.z_dim": 2, "model.g_hidden": [32], "model.d_hidden": [32],
    "train.batch_size": 32, "train.log_every": 10, "train.sample_every": 1000, "train.checkpoint_every": 20,
    "train.device": "cpu",
}  # fmt: skip


def ring(out, steps, **overrides) -> Config:
    return apply_overrides(Config(), {**RING, "train.steps": steps, "out": str(out), **overrides})


def weights(run) -> dict[str, torch.Tensor]:
    return load_file(run / "checkpoints/latest.safetensors")


@pytest.mark.parametrize(
    "overrides",
    [
        {"train.cuda_graphs": True, "train.device": "cpu"},
        {"train.channels_last": True},  # the MLP has no convolutions
        {"optim.name": "rmsprop", "optim.fused": True},
        {"train.precision": "fp16"},
    ],
)
def test_switches_that_cannot_apply_are_rejected_before_any_work(overrides):
    with pytest.raises(GanforgeError):
        resolve(apply_overrides(Config(), overrides))


def test_fused_optimisers_are_the_default_where_torch_has_them():
    assert resolve(Config()).optim.fused is True
    assert resolve(apply_overrides(Config(), {"optim.name": "rmsprop"})).optim.fused is False
    assert resolve(apply_overrides(Config(), {"optim.fused": False})).optim.fused is False


def test_fused_sgd_is_bitwise_and_fused_adam_equal_to_rounding(tmp_path):
    for name, exact in (("sgd", True), ("adam", False)):
        fused = weights(ganforge.train(ring(tmp_path / f"{name}-f", 20, **{"optim.name": name})))
        plain = weights(ganforge.train(ring(tmp_path / f"{name}-p", 20, **{"optim.name": name, "optim.fused": False})))
        for key in plain:
            if exact:
                assert torch.equal(fused[key], plain[key]), key
            else:
                assert torch.allclose(fused[key].float(), plain[key].float(), rtol=1e-4, atol=1e-5), key
    session = build_session(resolve(ring(tmp_path / "unused", 1)))
    assert session.opt_G.defaults["fused"] and session.opt_D.defaults["fused"]  # the default path is the fused one


def test_bf16_runs_the_forward_passes_in_bfloat16_and_keeps_fp32_weights():
    session = build_session(resolve(apply_overrides(Config(), {**RING, "train.precision": "bf16"})))
    seen = []
    session.gan.D.net[1].register_forward_hook(lambda module, args, output: seen.append(output.dtype))
    before = session.gan.G.net[0].weight.detach().clone()
    for _ in range(3):
        train_step(session)
    assert seen and set(seen) == {torch.bfloat16}
    assert session.gan.G.net[0].weight.dtype == torch.float32
    assert not torch.equal(before, session.gan.G.net[0].weight)


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_is_bf16_exactly_where_the_cpu_has_it_in_hardware(monkeypatch, native):
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: native)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    session = build_session(resolve(apply_overrides(Config(), {**RING, "train.precision": "auto"})))
    assert session.cfg.train.precision == "auto"  # the config stays portable; the choice is made per machine
    seen = []
    session.gan.D.net[1].register_forward_hook(lambda module, args, output: seen.append(output.dtype))
    train_step(session)
    assert set(seen) == {torch.bfloat16 if native else torch.float32}
    assert effective_precision("auto", torch.device("cuda")) == "fp32"  # GPUs: unmeasured, so fp32


def test_a_presets_channels_last_is_dropped_for_a_network_without_convolutions():
    # `fast` lays out its DCGAN's convolutions in NHWC; on the ring it trains the ring's MLP (a preset's network
    # is a default), where that layout means nothing; naming the switch on an MLP is still refused (above)
    cfg = resolve(apply_overrides(Config(), {"preset": "fast", "data.name": "ring"}))
    assert cfg.model.name == "mlp" and cfg.train.channels_last is False
    assert resolve(apply_overrides(Config(), {"preset": "fast"})).train.channels_last is True


@pytest.mark.slow
def test_channels_last_dcgan_computes_the_same_step_in_nhwc(tmp_path):
    small = {"model.name": "dcgan", "model.width": 8, "data.limit": 256, "train.steps": 3, "train.batch_size": 16,
             "train.sample_every": 3, "train.checkpoint_every": 3, "train.device": "cpu"}  # fmt: skip
    nhwc = apply_overrides(Config(), {**small, "train.channels_last": True, "out": str(tmp_path / "a")})
    session = build_session(resolve(nhwc))
    assert session.gan.D.net[0].weight.is_contiguous(memory_format=torch.channels_last)
    a = weights(ganforge.train(nhwc))
    b = weights(ganforge.train(apply_overrides(Config(), {**small, "out": str(tmp_path / "b")})))
    for key in b:
        assert torch.allclose(a[key].float(), b[key].float(), rtol=1e-3, atol=1e-4), key


@pytest.mark.slow
def test_a_compiled_step_trains_like_the_eager_one_and_keeps_checkpoint_names(tmp_path):
    compiled = weights(ganforge.train(ring(tmp_path / "c", 20, **{"train.compile": True})))
    eager = weights(ganforge.train(ring(tmp_path / "e", 20)))
    assert compiled.keys() == eager.keys()  # no _orig_mod. prefixes: compiled runs resume and load as usual
    for key in eager:
        assert torch.allclose(compiled[key].float(), eager[key].float(), rtol=1e-3, atol=1e-4), key
