"""Plots of loss and learning-rate curves: data in, ``Axes`` out, nothing shown."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes

Series = Sequence[float] | np.ndarray | torch.Tensor


def _as_array(values: Series, name: str) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name}: expected numbers, got {type(values).__name__}"
        ) from err
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D series, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name}: the series is empty; nothing to plot")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(
            f"{name}: {bad.size} non-finite value(s), first at index {bad[0]} "
            f"({array[bad[0]]}); did training diverge?"
        )
    return array


def _named_series(curves: Series | Mapping[str, Series]) -> dict[str, np.ndarray]:
    if isinstance(curves, Mapping):
        if not curves:
            raise ValueError("no curves given; nothing to plot")
        return {str(k): _as_array(v, f"curve {k!r}") for k, v in curves.items()}
    return {"": _as_array(curves, "series")}


def _plot_curves(
    curves: Series | Mapping[str, Series],
    *,
    x: Series | None,
    ax: Axes | None,
    title: str | None,
    xlabel: str,
    ylabel: str,
    log_y: bool,
    drawstyle: str,
) -> Axes:
    named = _named_series(curves)
    xs = None if x is None else _as_array(x, "x")
    for label, ys in named.items():
        if xs is not None and xs.size != ys.size:
            raise ValueError(
                f"{'curve ' + repr(label) if label else 'series'} has {ys.size} values "
                f"but x has {xs.size}"
            )
        if log_y and (ys <= 0).any():
            raise ValueError(
                f"log_y needs positive values; {label or 'series'} has some <= 0"
            )
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for label, ys in named.items():
        steps = xs if xs is not None else np.arange(ys.size)
        ax.plot(steps, ys, label=label or None, drawstyle=drawstyle)
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if any(named):
        ax.legend()
    ax.grid(True, alpha=0.3)
    return ax


def plot_losses(
    curves: Series | Mapping[str, Series],
    *,
    x: Series | None = None,
    ax: Axes | None = None,
    title: str | None = "Loss",
    xlabel: str = "epoch",
    ylabel: str = "loss",
    log_y: bool = False,
) -> Axes:
    """Plot one loss series, or a ``{label: series}`` mapping; return the ``Axes``."""
    return _plot_curves(
        curves,
        x=x,
        ax=ax,
        title=title,
        xlabel=xlabel,
        ylabel=ylabel,
        log_y=log_y,
        drawstyle="default",
    )


def plot_lr(
    lrs: Series | Mapping[str, Series],
    *,
    x: Series | None = None,
    ax: Axes | None = None,
    title: str | None = "Learning rate",
    xlabel: str = "epoch",
    ylabel: str = "learning rate",
    log_y: bool = False,
) -> Axes:
    """Plot learning rates (piecewise constant, drawn as steps); return the ``Axes``."""
    return _plot_curves(
        lrs,
        x=x,
        ax=ax,
        title=title,
        xlabel=xlabel,
        ylabel=ylabel,
        log_y=log_y,
        drawstyle="steps-post",
    )


def grid_axes(n: int, *, ncols: int = 3, size: tuple[float, float] = (4.0, 2.8)):
    """Return a figure and a flat list of ``n`` axes, ``ncols`` wide (extras hidden)."""
    if n < 1:
        raise ValueError(f"need at least one panel, got {n}")
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(size[0] * ncols, size[1] * nrows),
        squeeze=False,
        constrained_layout=True,
    )
    flat = list(axes.flat)
    for extra in flat[n:]:
        extra.set_visible(False)
    return fig, flat[:n]
