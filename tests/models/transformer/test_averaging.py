"""Tail weight averaging: the running mean of the trainable weights over the last optimizer steps."""

import torch
from torch import nn

from sikap.models.transformer.averaging import TailAverage


def test_mean_of_trainable_weights_from_the_start_step_on() -> None:
    model = nn.Linear(2, 1)
    model.bias.requires_grad_(False)  # frozen: equal in every step, never averaged
    average = TailAverage(model, start=3)
    seen = []
    for step in range(1, 6):
        with torch.no_grad():
            model.weight.fill_(float(step))
        average.update(step)
        if step >= 3:
            seen.append(model.weight.detach().clone())
    assert average.count == 3
    state = average.state()
    assert set(state) == {"weight"}
    assert torch.allclose(state["weight"], torch.stack(seen).mean(0))  # steps 3, 4, 5 → 4.0
    assert state["weight"].device.type == "cpu" and state["weight"].dtype == model.weight.dtype


def test_nothing_is_averaged_before_the_start_step() -> None:
    model = nn.Linear(2, 1)
    average = TailAverage(model, start=10)
    for step in range(1, 10):
        average.update(step)
    assert average.count == 0 and average.state() == {}
