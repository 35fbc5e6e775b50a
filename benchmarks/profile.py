"""Where the default MLP GAN's training step spends its time: torch's profiler over ganforge's ``train_step``.

    python -m benchmarks profile [--steps 100] [--threads 2]

Prints the operators by self time, the share of the step spent in matrix multiplies, and the cost per
element of the two output nonlinearities (G ends in tanh) on a (128, 784) batch.
"""

from __future__ import annotations

import argparse
import logging
import time

import torch
from torch.profiler import ProfilerActivity, profile

from ganforge.config import Config
from ganforge.resolve import resolve
from ganforge.train import build_session, train_step

MATMULS = ("aten::mm", "aten::addmm", "aten::bmm")


def _microseconds(function, repeats: int = 1000) -> float:
    for _ in range(20):
        function()
    started = time.perf_counter()
    for _ in range(repeats):
        function()
    return (time.perf_counter() - started) / repeats * 1e6


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    logging.getLogger("ganforge").setLevel(logging.ERROR)
    torch.set_num_threads(args.threads)
    session = build_session(resolve(Config.from_dict({"train": {"device": "cpu"}})))
    for _ in range(20):
        train_step(session)
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        for _ in range(args.steps):
            train_step(session)
    events = profiler.key_averages()
    total = sum(event.self_cpu_time_total for event in events)
    print(events.table(sort_by="self_cpu_time_total", row_limit=12))
    shares = {event.key: event.self_cpu_time_total / total for event in events}
    matmul = sum(share for key, share in shares.items() if key in MATMULS)
    x = torch.randn(128, 784)
    result = {
        "matmul_share": round(matmul, 3),
        "tanh_share": round(shares.get("aten::tanh", 0) + shares.get("aten::tanh_backward", 0), 3),
        "tanh_us": round(_microseconds(lambda: torch.tanh(x)), 1),
        "sigmoid_us": round(_microseconds(lambda: torch.sigmoid(x)), 1),
    }
    print(
        f"matrix multiplies: {100 * result['matmul_share']:.1f}% of the step's operator time, so removing every"
        f" other cost would make it at most {1 / result['matmul_share']:.2f}x faster"
    )
    print(f"tanh and its backward: {100 * result['tanh_share']:.1f}%; on (128, 784): tanh {result['tanh_us']} us,"
          f" sigmoid {result['sigmoid_us']} us")  # fmt: skip
    return result


if __name__ == "__main__":
    main()
