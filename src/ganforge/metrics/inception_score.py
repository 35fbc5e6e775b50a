"""Inception Score (Salimans et al., 2016, "Improved Techniques for Training GANs").

    IS = exp( E_x KL( p(y|x) || p(y) ) ),   p(y) = E_x p(y|x)

It is high when each sample is classified confidently (low-entropy p(y|x)) and the classes are used evenly
(high-entropy p(y)); it ranges from 1 to K. Given the probabilities of a classifier trained on the data set itself
(e.g. an MNIST digit classifier), the same formula is the "classifier score".
"""

from __future__ import annotations

import numpy as np
import torch

from ganforge.errors import GanforgeError

SUM_TOLERANCE = 1e-3  # rows of a softmax in float32 sum to 1 within rounding; more than this is not a distribution


def _check_probabilities(probs: torch.Tensor) -> None:
    if probs.ndim != 2 or probs.shape[0] < 1 or probs.shape[1] < 1:
        raise GanforgeError(f"probs has shape {tuple(probs.shape)}; expected (N, K)", "one row of class probabilities")
    if not torch.isfinite(probs).all() or (probs < 0).any():
        raise GanforgeError("probs has negative or non-finite entries", "pass softmax outputs, not logits")
    worst = float((probs.sum(dim=1) - 1).abs().max())
    if worst > SUM_TOLERANCE:
        raise GanforgeError(f"a row of probs sums to 1 +- {worst:.3g}", "pass softmax outputs, not logits")


def inception_score(probs: torch.Tensor | np.ndarray, splits: int = 10) -> tuple[float, float]:
    """Mean and standard deviation (ddof = 0) of the Inception Score over ``splits`` chunks of ``probs`` ``(N, K)``.

    The rows are cut into ``splits`` near-equal consecutive chunks (all rows are used); each chunk has its own
    marginal p(y). Zero probabilities are safe: 0 log 0 is taken as 0. The original protocol uses 50,000 samples in
    10 splits; fewer samples give a lower, noisier score.
    """
    probs = torch.as_tensor(probs).detach().to(torch.float64)
    _check_probabilities(probs)
    if not 1 <= splits <= probs.shape[0]:
        raise GanforgeError(f"splits={splits} with {probs.shape[0]} samples", "use 1 <= splits <= number of samples")
    scores = []
    for chunk in torch.tensor_split(probs, splits):
        marginal = chunk.mean(dim=0, keepdim=True)  # p(y), (1, K)
        # KL(p(y|x) || p(y)) = sum_y p log p - p log p(y); xlogy gives 0 where p = 0 (and p(y) >= p > 0 elsewhere).
        kl = (torch.xlogy(chunk, chunk) - torch.xlogy(chunk, marginal)).sum(dim=1)  # (n,)
        scores.append(torch.exp(kl.mean()))
    scores = torch.stack(scores).cpu()
    return float(scores.mean()), float(scores.std(correction=0))
