"""Each branch's loss: PLCC loss plus a pairwise margin ranking loss against its dimension's MOS.

Both are invariant to the MOS scale, so the targets are used as they are: a branch learns its dimension's
order and linear shape, not its units, and the final score (the sum of the branches) is on its own scale.
"""
import torch

from moslab_science.iqa.losses import plcc_loss


def ranking_loss(predictions: torch.Tensor, targets: torch.Tensor, *, margin: float = 0.0) -> torch.Tensor:
    """Mean over the batch's pairs with different MOS of max(0, margin - sign(t_i - t_j) (s_i - s_j)):
    zero when every such pair is ordered as the MOS with at least `margin` between the scores."""
    first, second = torch.triu_indices(len(predictions), len(predictions), offset=1, device=predictions.device)
    order = torch.sign(targets[first] - targets[second])
    hinge = torch.relu(margin - order * (predictions[first] - predictions[second]))
    ordered = order != 0
    if not bool(ordered.any()):
        return predictions.sum() * 0.0
    return hinge[ordered].mean()


def branch_loss(predictions: torch.Tensor, targets: torch.Tensor, *, rank_weight: float,
                margin: float) -> torch.Tensor:
    """PLCC loss ((1 - PLCC) / 2) + rank_weight x ranking loss."""
    return plcc_loss(predictions, targets) + rank_weight * ranking_loss(predictions, targets, margin=margin)
