"""The text-to-image figure of docs/applications.md: captions beside stage I's and stage II's pictures.

    python -m benchmarks.text2image_figure RUN --out docs/images/text2image.png

RUN is a two-stage run (``--preset stackgan``; ``benchmarks/text2image.py --keep DIR`` keeps the benchmark's).
Each row: a caption, then ``--n`` pictures of it from stage I (32 px, enlarged by pixel repetition) and the same
noise through stage II (64 px). The last rows are held-out combinations, which no training caption named.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from PIL import Image, ImageDraw

import ganforge
from ganforge.atomic import atomic_path

CAPTIONS = (
    ("a large red t-shirt in the center on a black background", "seen"),
    ("top left: tiny sneaker, blue, on a white background", "seen"),
    ("a big yellow bag at the bottom right on a gray background", "seen"),
    ("a small cyan dress in the top right corner on a black background", "seen"),
    ("large green trousers in the middle on a white background", "held out"),
    ("a big red sneaker in the center on a gray background", "held out"),
)
TEXT_WIDTH, CELL, GAP = 330, 64, 12


def to_pil(picture: torch.Tensor) -> Image.Image:
    pixels = ((picture.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
    return Image.fromarray(pixels).resize((CELL, CELL), Image.NEAREST)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    trained = ganforge.load(args.run, device="cpu")
    texts = [text for text, _ in CAPTIONS]
    low, high = trained.generate_text(texts, args.n, args.seed, stages=True)
    width = TEXT_WIDTH + 2 * args.n * CELL + GAP
    header = 18
    figure = Image.new("RGB", (width, header + len(texts) * (CELL + 4)), "white")
    draw = ImageDraw.Draw(figure)
    draw.text((TEXT_WIDTH, 2), "stage I (32 px)", fill="black")
    draw.text((TEXT_WIDTH + args.n * CELL + GAP, 2), "stage II (64 px)", fill="black")
    for row, ((_, kind), text) in enumerate(zip(CAPTIONS, texts, strict=True)):
        top = header + row * (CELL + 4)
        draw.text((4, top + CELL // 2 - 12), text, fill="black")
        draw.text((4, top + CELL // 2 + 2), f"({kind})", fill="gray" if kind == "seen" else "firebrick")
        for k in range(args.n):
            index = row * args.n + k
            figure.paste(to_pil(low[index]), (TEXT_WIDTH + k * CELL, top))
            figure.paste(to_pil(high[index]), (TEXT_WIDTH + args.n * CELL + GAP + k * CELL, top))
    with atomic_path(args.out) as temporary:
        figure.save(temporary)
    print(f"{args.out}: {len(texts)} captions x {args.n} pictures, step {trained.step}")


if __name__ == "__main__":
    main()
