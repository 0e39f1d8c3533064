"""Tail weight averaging: the mean of the trainable weights over the last share of the optimizer steps.

With a schedule that decays to zero the last steps wander around one minimum; their mean usually sits
nearer its centre than the final step (Izmailov et al., 2018, "Averaging Weights Leads to Wider Optima").
Only trainable parameters are averaged (frozen ones are equal in every step), on the model's device.
"""

import torch
from torch import nn


class TailAverage:
    """Running mean of ``model``'s trainable parameters, updated from step ``start`` (1-based) on."""

    def __init__(self, model: nn.Module, start: int):
        self.model, self.start = model, start
        self.count = 0
        self.mean: dict[str, torch.Tensor] = {}

    def update(self, step: int) -> None:
        """Call after optimizer step number ``step``; steps before ``start`` are ignored."""
        if step < self.start:
            return
        self.count += 1
        with torch.no_grad():
            for name, param in self.model.named_parameters():
                if not param.requires_grad:
                    continue
                if name not in self.mean:
                    self.mean[name] = param.detach().float().clone()
                else:
                    self.mean[name].add_(param.detach().float() - self.mean[name], alpha=1.0 / self.count)

    def state(self) -> dict[str, torch.Tensor]:
        """The averaged weights as a CPU state dict of the model's dtypes (for ``load_state_dict(strict=False)``)."""
        params = dict(self.model.named_parameters())
        return {name: value.to("cpu", params[name].dtype, copy=True) for name, value in self.mean.items()}
