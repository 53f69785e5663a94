"""Trace a learning-rate schedule without training: one throwaway parameter, no data."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Real

import torch
from torch.optim import SGD, Optimizer
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

#: Builds a scheduler on the optimizer it is given: ``lambda opt: StepLR(opt, 10)``.
SchedulerFactory = Callable[[Optimizer], LRScheduler]


def _check_metrics(
    metrics: Sequence[float] | torch.Tensor | None, num_steps: int, plateau: bool
) -> list[float] | None:
    if not plateau:
        if metrics is not None:
            raise ValueError(
                "metrics are only read by ReduceLROnPlateau; this scheduler's step() "
                "takes none"
            )
        return None
    if metrics is None:
        raise ValueError(
            "ReduceLROnPlateau needs the monitored metric at every step: pass "
            f"metrics=[...] with {num_steps} values"
        )
    try:
        values = [float(m) for m in metrics]
    except (TypeError, ValueError) as err:
        raise TypeError(f"metrics must be a sequence of numbers ({err})") from err
    if len(values) != num_steps:
        raise ValueError(
            f"got {len(values)} metrics for {num_steps} steps; "
            "pass exactly one per step"
        )
    bad = [i for i, m in enumerate(values) if not math.isfinite(m)]
    if bad:
        raise ValueError(f"metric at step {bad[0]} is not finite ({values[bad[0]]})")
    return values


def lr_trace(
    make_scheduler: SchedulerFactory,
    num_steps: int,
    *,
    lr: float = 0.1,
    metrics: Sequence[float] | torch.Tensor | None = None,
) -> list[float]:
    """Return the learning rate in force at each of ``num_steps`` optimizer steps.

    ``make_scheduler(optimizer)`` builds the scheduler on a fresh ``SGD(lr=lr)`` over
    one throwaway parameter. Each step calls ``optimizer.step()`` and then
    ``scheduler.step()`` (``scheduler.step(metrics[t])`` for ``ReduceLROnPlateau``,
    which needs exactly ``num_steps`` finite metrics); entry ``t`` is the learning rate
    read just before step ``t``, i.e. the one that step used.
    """
    if isinstance(num_steps, bool) or not isinstance(num_steps, int):
        raise TypeError(f"num_steps must be an int, got {type(num_steps).__name__}")
    if num_steps < 1:
        raise ValueError(f"num_steps must be at least 1, got {num_steps}")
    if isinstance(lr, bool) or not isinstance(lr, Real):
        raise TypeError(f"lr must be a number, got {type(lr).__name__}")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive finite number, got {lr}")
    if not callable(make_scheduler):
        raise TypeError(
            "make_scheduler must be a callable optimizer -> scheduler, got "
            f"{type(make_scheduler).__name__}"
        )

    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = SGD([param], lr=float(lr))
    scheduler = make_scheduler(optimizer)
    if not isinstance(scheduler, LRScheduler):
        raise TypeError(
            f"make_scheduler must return an LRScheduler, got {type(scheduler).__name__}"
        )
    if scheduler.optimizer is not optimizer:
        raise ValueError(
            "make_scheduler must build the scheduler on the optimizer it "
            "is given, not on another one"
        )
    values = _check_metrics(
        metrics, num_steps, isinstance(scheduler, ReduceLROnPlateau)
    )

    lrs = []
    for step in range(num_steps):
        lrs.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()  # no gradient: a no-op that still counts as a step
        if values is None:
            scheduler.step()
        else:
            scheduler.step(values[step])
    return lrs
