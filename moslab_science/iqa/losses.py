"""Training losses beyond L1 and MSE: the fidelity + PLCC + L1 mix of the CLIP prompt scorer's recipe, and the
losses on five level logits of the LMM scorers (Q-Align's cross-entropy, DeQA-Score's KL divergence).

The fidelity loss (Tsai et al., ICML 2007) between two discrete distributions p and q is 1 - sum sqrt(p q):
zero when they are equal, positive otherwise. As in LIQE (Zhang et al., CVPR 2023), it is applied to every
pair (i, j) of a batch: the model's probability that i is better than j, Phi((s_i - s_j) / sqrt 2) (Thurstone,
unit variances), against the MOS order (1, 0, or 1/2 for a tie).
"""
import torch
from torch.nn import functional as F

from moslab_science.iqa.soft_labels import level_bins

FIDELITY_WEIGHT = 1.0  # the three terms of `fidelity_plcc_l1`, with equal weights (see docs/models.md)
PLCC_WEIGHT = 1.0
L1_WEIGHT = 1.0


def fidelity(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """1 - sum sqrt(p q) over the last dimension (distributions that each sum to 1)."""
    return 1.0 - (p * q).clamp_min(1e-16).sqrt().sum(dim=-1)  # the floor keeps sqrt's gradient finite at 0


def pairwise_fidelity(predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean fidelity over the batch's pairs of the predicted and the MOS-given 'i is better than j' odds."""
    first, second = torch.triu_indices(len(predictions), len(predictions), offset=1, device=predictions.device)
    predicted = 0.5 * (1.0 + torch.erf((predictions[first] - predictions[second]) / 2.0))  # Phi(d / sqrt 2)
    truth = 0.5 * (1.0 + torch.sign(targets[first] - targets[second]))
    return fidelity(_binary(predicted), _binary(truth)).mean()


def _binary(p: torch.Tensor) -> torch.Tensor:
    return torch.stack([p, 1.0 - p], dim=-1)


def plcc_loss(predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """(1 - PLCC) / 2 of the batch: 0 for a perfect linear fit, 1 for a perfectly reversed one."""
    centred_p, centred_t = predictions - predictions.mean(), targets - targets.mean()
    correlation = (centred_p * centred_t).sum() / (centred_p.norm() * centred_t.norm()).clamp_min(1e-8)
    return (1.0 - correlation) / 2.0


def fidelity_plcc_l1(predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The weighted sum of pairwise fidelity, PLCC and L1 losses (a batch of one has no pairs: L1 only)."""
    loss = L1_WEIGHT * F.l1_loss(predictions, targets)
    if len(predictions) > 1:
        loss = loss + FIDELITY_WEIGHT * pairwise_fidelity(predictions, targets)
        loss = loss + PLCC_WEIGHT * plcc_loss(predictions, targets)
    return loss



def level_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Q-Align: cross-entropy of the five level logits (bad first) with each target's equal-width level bin
    (targets on the 1..5 level scale, ``train.target_scaling = "levels"``)."""
    return F.cross_entropy(logits, level_bins(targets))


def level_kl(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """DeQA-Score: KL(target || softmax(logits)) per image, averaged; `targets` are (batch, 5) distributions."""
    return F.kl_div(F.log_softmax(logits, dim=-1), targets, reduction="batchmean")
