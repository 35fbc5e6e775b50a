"""``ganforge generate RUN --text "..."``: pictures of captions from a trained text2image run.

    ganforge generate runs/stackgan --text "a large blue shirt on a black background" --n 16 --out shirts.png
    ganforge generate runs/stackgan --captions prompts.txt --n 8 --out grid.npy

A ``.png`` grid holds one row per caption (``--stages``: stage I's pictures beside stage II's for a two-stage
run); a ``.npy`` file float32 (N, 3, H, W) in [-1, 1], caption by caption, as ``ganforge sample`` writes.
"""

from __future__ import annotations

from pathlib import Path

import click

from ganforge.errors import GanforgeError, check_positive, check_seed
from ganforge.output import check_output, writing

MAX_CAPTIONS = 1000


@click.command()
@click.argument("run", type=click.Path())
@click.option("--text", "texts", multiple=True, help="A caption (repeat for several).")
@click.option("--captions", "captions_file", type=click.Path(), help="A UTF-8 text file of captions, one a line.")
@click.option("--n", "count", type=int, default=8, show_default=True, help="Pictures per caption.")
@click.option("--out", required=True, help="A .png grid (a row per caption), or .npy (float32 in [-1, 1]).")
@click.option("--seed", type=int, default=0, show_default=True, help="Noise seed.")
@click.option("--stages", is_flag=True, help="A .png of a two-stage run: stage I's pictures beside stage II's.")
@click.option("--device", default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def generate(run: str, texts: tuple[str, ...], captions_file: str | None, count: int, out: str, seed: int,
             stages: bool, device: str, overwrite: bool) -> None:  # fmt: skip
    """Draw pictures of captions with a trained text2image RUN."""
    import numpy as np
    import torch

    from ganforge.atomic import atomic_path
    from ganforge.trained import load
    from ganforge.viz.grid import save_image_grid

    target = check_output(out, "--out", (".png", ".npy"), overwrite, run=run)
    check_positive("--n", count)
    check_seed("--seed", seed)
    captions = list(texts) + (read_captions(Path(captions_file)) if captions_file else [])
    if not captions:
        raise GanforgeError("no caption given", 'pass --text "a small red sneaker" or --captions FILE')
    if len(captions) * count > MAX_CAPTIONS * 8:
        raise GanforgeError(f"{len(captions)} captions x {count} pictures is more than {MAX_CAPTIONS * 8}",
                            "ask for fewer, or split the captions over several calls")  # fmt: skip
    trained = load(run, device=device)
    low, high = trained.generate_text(captions, count, seed, stages=True)
    with writing(target, "--out"):
        if target.suffix == ".npy":
            with atomic_path(target) as tmp, open(tmp, "wb") as handle:
                np.save(handle, high.numpy().astype(np.float32))
        elif stages and low.shape[-1] != high.shape[-1]:
            up = torch.nn.functional.interpolate(low, size=high.shape[-2:], mode="nearest")
            rows = torch.cat([up.view(len(captions), count, *high.shape[1:]),
                              high.view(len(captions), count, *high.shape[1:])], 1)  # fmt: skip
            save_image_grid(rows.flatten(0, 1), target, nrow=2 * count)
        else:
            save_image_grid(high, target, nrow=count)
    click.echo(f"{len(high)} pictures of {len(captions)} caption(s) from step {trained.step} -> {target}")


def read_captions(path: Path) -> list[str]:
    """The non-empty lines of a UTF-8 text file; anything else is a one-line error."""
    if not path.is_file():
        raise GanforgeError(f"--captions {path} is not a file", "give a text file with one caption a line")
    raw = path.read_bytes()
    if b"\0" in raw[:4096]:
        raise GanforgeError(f"--captions {path} is not text (it holds binary data)", "give a UTF-8 text file")
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise GanforgeError(f"--captions {path} is not UTF-8 text", "save it as UTF-8, one caption a line") from None
    captions = [line.strip() for line in lines if line.strip()]
    if not captions:
        raise GanforgeError(f"--captions {path} holds no captions", "write one caption a line")
    if len(captions) > MAX_CAPTIONS:
        raise GanforgeError(f"--captions {path} holds {len(captions)} captions, more than {MAX_CAPTIONS}",
                            "split it into several files")  # fmt: skip
    return captions
