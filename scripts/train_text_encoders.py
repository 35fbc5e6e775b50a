"""Train the caption encoders that ship with ganforge (``ganforge.models.text``).

    python scripts/train_text_encoders.py                       # all four: a few minutes each on one CPU thread
    python scripts/train_text_encoders.py --only fashion-mnist  # the two of one data set

For each base data set (fashion-mnist, mnist) two (text, image) encoder pairs train contrastively on the
captioned training split (``data/captions.py``, 32 px): ``text-<name>`` conditions StackGAN's G, and
``retrieval-<name>``, trained from another seed and never seen by G, measures R-precision in ``ganforge eval``.
Each is scored on the test split (how often an image's own caption ranks first among 100 captions of other
test items, counting captions with identical attributes as correct) after rounding to float16, the form
that ships, and saved as safetensors with that score and its training settings in the metadata.
"""

from __future__ import annotations

import argparse
import datetime
import time
from pathlib import Path

import torch
from safetensors.torch import save_file

from ganforge.atomic import atomic_path
from ganforge.data import idx
from ganforge.data.captions import generate_captioned
from ganforge.models import text as text_models

SOURCES = {"fashion-mnist": idx.FASHION_MNIST, "mnist": idx.MNIST}
SEEDS = {"text": 0, "retrieval": 1}


def retrieval_top1(text_encoder: torch.nn.Module, image_encoder: torch.nn.Module, data, pool: int = 100) -> float:
    """How often each test image's own caption scores highest among ``pool`` captions (its own and pool-1
    others); a competitor with the same attributes counts as a tie won."""
    with torch.no_grad():
        images = image_encoder(data.real())
        texts = text_encoder(data.text[:, 0])
    n, hits = len(images), 0
    for row in range(n):
        others = torch.tensor([(row + k) % n for k in range(pool)])
        scores = texts[others] @ images[row]
        best = others[int(scores.argmax())]
        hits += int(bool((data.attributes[best] == data.attributes[row]).all()))
    return hits / n


def train_one(base: str, kind: str, steps: int, out: Path) -> dict[str, str]:
    sources = {split: idx.load_idx_dataset(SOURCES[base], None, False, split) for split in ("train", "test")}
    train = generate_captioned(base, sources["train"], "train", 32)
    test = generate_captioned(base, sources["test"], "test", 32)
    started = time.time()
    text_encoder, image_encoder = text_models.fit_encoders(train.images, train.text, train.attributes, steps,
                                                           SEEDS[kind], log_every=100)  # fmt: skip
    seconds = time.time() - started
    state = {f"text.{k}": v.half() if v.is_floating_point() else v for k, v in text_encoder.state_dict().items()}
    state |= {f"image.{k}": v.half() if v.is_floating_point() else v for k, v in image_encoder.state_dict().items()}
    rounded = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    text_encoder.load_state_dict({k[5:]: v for k, v in rounded.items() if k.startswith("text.")})
    image_encoder.load_state_dict({k[6:]: v for k, v in rounded.items() if k.startswith("image.")})
    score = retrieval_top1(text_encoder, image_encoder, test)
    metadata = {
        "architecture": text_models.ARCHITECTURE, "kind": kind, "dataset": base, "seed": str(SEEDS[kind]),
        "steps": str(steps), "batch_size": "64", "train_items": str(len(train)), "test_items": str(len(test)),
        "test_top1_of_100": f"{score:.4f}", "train_seconds": f"{seconds:.0f}",
        "date": datetime.date.today().isoformat(),
    }  # fmt: skip
    path = out / f"{kind}-{text_models.SHIPPED[base]}.safetensors"
    with atomic_path(path) as temporary:
        save_file(state, str(temporary), metadata=metadata)
    print(f"{path.name}: top-1 of 100 on the test split {score:.3f}, {seconds:.0f} s", flush=True)
    return metadata


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SOURCES), help="train one data set's encoders")
    parser.add_argument("--kind", choices=sorted(SEEDS), help="train one kind only")
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--out", type=Path, default=text_models.WEIGHTS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for base in [args.only] if args.only else list(SOURCES):
        for kind in [args.kind] if args.kind else list(SEEDS):
            train_one(base, kind, args.steps, args.out)


if __name__ == "__main__":
    main()
