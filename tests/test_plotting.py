"""plot_losses / plot_lr / grid_axes: data in, Axes out; bad data is a clear error."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers.plotting import grid_axes, plot_losses, plot_lr


@pytest.fixture(autouse=True)
def _no_show_and_close(monkeypatch):
    def _show(*args, **kwargs):
        raise AssertionError("helpers must never call plt.show()")

    monkeypatch.setattr(plt, "show", _show)
    yield
    plt.close("all")


def test_single_series_from_list_tensor_and_array():
    for values in ([3.0, 2.0, 1.0], torch.tensor([3.0, 2.0, 1.0]), np.array([3, 2, 1])):
        ax = plot_losses(values)
        (line,) = ax.get_lines()
        assert list(line.get_ydata()) == [3.0, 2.0, 1.0]
        assert list(line.get_xdata()) == [0, 1, 2]
        assert ax.get_legend() is None


def test_mapping_draws_one_labelled_line_each():
    ax = plot_losses({"by hand": [3, 2, 1], "SGD": [3, 1, 0.5, 0.2]}, title="t")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["by hand", "SGD"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels
    assert ax.get_title() == "t"


def test_tensor_that_requires_grad_is_detached():
    values = torch.ones(3, requires_grad=True) * 2
    ax = plot_losses(values)
    assert list(ax.get_lines()[0].get_ydata()) == [2.0, 2.0, 2.0]


def test_draws_on_the_given_axes_without_a_new_figure():
    fig, ax = plt.subplots()
    before = plt.get_fignums()
    assert plot_losses([1, 2], ax=ax) is ax
    assert plt.get_fignums() == before
    assert fig.axes == [ax]


def test_explicit_x_and_log_scale():
    ax = plot_losses([1.0, 0.1], x=[10, 20], log_y=True, xlabel="step")
    assert list(ax.get_lines()[0].get_xdata()) == [10.0, 20.0]
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "step"


def test_plot_lr_draws_steps():
    ax = plot_lr({"StepLR": [0.1, 0.1, 0.01]})
    assert ax.get_lines()[0].get_drawstyle() == "steps-post"
    assert ax.get_ylabel() == "learning rate"


@pytest.mark.parametrize("plot", [plot_losses, plot_lr])
def test_empty_series_is_an_error(plot):
    with pytest.raises(ValueError, match="empty"):
        plot([])
    with pytest.raises(ValueError, match="no curves"):
        plot({})
    with pytest.raises(ValueError, match="empty"):
        plot({"a": [1.0], "b": []})


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_an_error_naming_the_index(bad):
    with pytest.raises(ValueError, match="first at index 2"):
        plot_losses([1.0, 0.5, bad, 0.1])
    with pytest.raises(ValueError, match="curve 'sgd'"):
        plot_lr({"sgd": [0.1, bad]})


def test_x_of_another_length_is_an_error():
    with pytest.raises(ValueError, match="3 values but x has 2"):
        plot_losses([1, 2, 3], x=[0, 1])
    with pytest.raises(ValueError, match="curve 'b' has 1 values"):
        plot_lr({"a": [1, 2], "b": [1]}, x=[0, 1])


def test_not_one_dimensional_or_not_numbers():
    with pytest.raises(ValueError, match="1-D"):
        plot_losses(torch.ones(2, 2))
    with pytest.raises(TypeError, match="expected numbers"):
        plot_losses(["a", "b"])


def test_log_scale_needs_positive_values():
    with pytest.raises(ValueError, match="positive"):
        plot_lr([0.1, 0.0], log_y=True)


def test_grid_axes_hides_the_extra_panels():
    fig, axes = grid_axes(4, ncols=3)
    assert len(axes) == 4
    assert len(fig.axes) == 6
    assert sum(ax.get_visible() for ax in fig.axes) == 4
    with pytest.raises(ValueError):
        grid_axes(0)
