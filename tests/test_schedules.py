"""Tests of helpers.schedules.lr_trace against closed forms of PyTorch's schedulers."""

from __future__ import annotations

import bisect
import math
import warnings

import pytest
import torch
from torch.optim import SGD
from torch.optim import lr_scheduler as sched

from helpers.schedules import lr_trace

LR = 0.1


def assert_all_close(got: list[float], expected: list[float]) -> None:
    assert len(got) == len(expected)
    for step, (a, b) in enumerate(zip(got, expected, strict=True)):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (step, a, b)


def test_step_lr_matches_closed_form_and_reads_lr_before_each_step():
    got = lr_trace(lambda opt: sched.StepLR(opt, step_size=3, gamma=0.5), 10, lr=LR)
    assert_all_close(got, [LR * 0.5 ** (t // 3) for t in range(10)])
    assert got[:4] == [LR, LR, LR, LR * 0.5]  # the first value is never skipped


def test_returns_plain_floats_one_per_step():
    got = lr_trace(lambda opt: sched.ExponentialLR(opt, gamma=0.9), 5)
    assert len(got) == 5
    assert all(type(v) is float for v in got)


def test_multistep_lr():
    milestones = [2, 5, 7]
    got = lr_trace(lambda opt: sched.MultiStepLR(opt, milestones, gamma=0.1), 9, lr=LR)
    assert_all_close(got, [LR * 0.1 ** bisect.bisect_right(milestones, t)
                           for t in range(9)])


def test_exponential_lr_uses_the_lr_argument():
    got = lr_trace(lambda opt: sched.ExponentialLR(opt, gamma=0.9), 12, lr=0.5)
    assert_all_close(got, [0.5 * 0.9**t for t in range(12)])


def test_lambda_lr_multiplies_the_initial_lr():
    got = lr_trace(lambda opt: sched.LambdaLR(opt, lambda t: 1 / (t + 1)), 6, lr=LR)
    assert_all_close(got, [LR / (t + 1) for t in range(6)])


def test_cosine_annealing_lr_follows_the_cosine_past_t_max():
    t_max, eta_min = 5, 0.01
    got = lr_trace(lambda opt: sched.CosineAnnealingLR(opt, t_max, eta_min), 23, lr=LR)
    expected = [eta_min + (LR - eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2
                for t in range(23)]
    assert_all_close(got, expected)


def test_cosine_warm_restarts_with_growing_periods():
    def closed_form(t: int, t_0: int = 3, t_mult: int = 2) -> float:
        t_i = t_0
        while t >= t_i:
            t, t_i = t - t_i, t_i * t_mult
        return LR * (1 + math.cos(math.pi * t / t_i)) / 2

    got = lr_trace(lambda opt: sched.CosineAnnealingWarmRestarts(opt, 3, T_mult=2), 25,
                   lr=LR)
    assert_all_close(got, [closed_form(t) for t in range(25)])


def test_linear_warmup_then_cosine():
    warmup, t_max = 4, 6

    def make(opt):
        return sched.SequentialLR(opt, [
            sched.LinearLR(opt, start_factor=0.25, total_iters=warmup),
            sched.CosineAnnealingLR(opt, T_max=t_max),
        ], milestones=[warmup])

    expected = [LR * (0.25 + 0.75 * t / warmup) if t < warmup
                else LR * (1 + math.cos(math.pi * (t - warmup) / t_max)) / 2
                for t in range(12)]
    assert_all_close(lr_trace(make, 12, lr=LR), expected)


def test_one_cycle_two_phase_cosine():
    total, max_lr, pct = 20, 1.0, 0.3
    initial, end_up = max_lr / 25, pct * total - 1

    def cos_anneal(start: float, end: float, frac: float) -> float:
        return end + (start - end) * (1 + math.cos(math.pi * frac)) / 2

    down = total - 1 - end_up
    expected = [cos_anneal(initial, max_lr, t / end_up) if t <= end_up
                else cos_anneal(max_lr, initial / 1e4, (t - end_up) / down)
                for t in range(total)]
    got = lr_trace(lambda opt: sched.OneCycleLR(opt, max_lr, total_steps=total), total)
    assert_all_close(got, expected)


def test_reduce_on_plateau_gets_the_metric_and_waits_patience():
    metrics = [1.0, 0.5, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4]

    def make(opt):
        return sched.ReduceLROnPlateau(opt, factor=0.5, patience=1)

    # best 0.5 at step 1; bad epochs at 2, 3 -> cut after step 3; bad at 4, then 0.4
    # improves at 5; bad at 6, 7 -> cut after step 7 (not visible in 8 values)
    expected = [LR] * 4 + [LR / 2] * 4
    assert_all_close(lr_trace(make, 8, lr=LR, metrics=metrics), expected)
    rising = lr_trace(lambda opt: sched.ReduceLROnPlateau(opt, mode="max", patience=0),
                      4, metrics=torch.tensor([1.0, 2.0, 3.0, 4.0]))
    assert rising == [LR] * 4


def test_optimizer_steps_before_scheduler_so_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lr_trace(lambda opt: sched.StepLR(opt, step_size=1), 3)


def test_each_call_starts_fresh():
    def make(opt):
        return sched.StepLR(opt, step_size=2, gamma=0.5)

    assert lr_trace(make, 6) == lr_trace(make, 6)


def test_one_cycle_past_its_total_steps_fails_like_a_real_loop():
    with pytest.raises(ValueError, match="total steps"):
        lr_trace(lambda opt: sched.OneCycleLR(opt, 1.0, total_steps=5), 6)


@pytest.mark.parametrize("num_steps", [0, -3])
def test_num_steps_below_one(num_steps):
    with pytest.raises(ValueError, match="num_steps"):
        lr_trace(lambda opt: sched.StepLR(opt, 1), num_steps)


@pytest.mark.parametrize("num_steps", [2.0, True, "5"])
def test_num_steps_not_an_int(num_steps):
    with pytest.raises(TypeError, match="num_steps"):
        lr_trace(lambda opt: sched.StepLR(opt, 1), num_steps)


@pytest.mark.parametrize("lr", [0.0, -0.1, math.inf, math.nan])
def test_bad_lr_values(lr):
    with pytest.raises(ValueError, match="lr"):
        lr_trace(lambda opt: sched.StepLR(opt, 1), 3, lr=lr)


@pytest.mark.parametrize("lr", ["0.1", None, True])
def test_lr_not_a_number(lr):
    with pytest.raises(TypeError, match="lr"):
        lr_trace(lambda opt: sched.StepLR(opt, 1), 3, lr=lr)


def test_make_scheduler_not_callable():
    p = torch.nn.Parameter(torch.zeros(1))
    scheduler = sched.StepLR(SGD([p], lr=LR), 1)
    with pytest.raises(TypeError, match="callable"):
        lr_trace(scheduler, 3)


def test_make_scheduler_returns_no_scheduler():
    with pytest.raises(TypeError, match="LRScheduler"):
        lr_trace(lambda opt: opt, 3)


def test_scheduler_on_another_optimizer_is_refused():
    other = SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR)
    with pytest.raises(ValueError, match="optimizer it is given"):
        lr_trace(lambda opt: sched.StepLR(other, 1), 3)


def test_plateau_without_metrics():
    with pytest.raises(ValueError, match="metrics"):
        lr_trace(lambda opt: sched.ReduceLROnPlateau(opt), 3)


def test_metrics_for_a_scheduler_that_takes_none():
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        lr_trace(lambda opt: sched.StepLR(opt, 1), 3, metrics=[1.0, 1.0, 1.0])


@pytest.mark.parametrize("metrics", [[1.0, 2.0], [1.0, 2.0, 3.0, 4.0]])
def test_metrics_of_the_wrong_length(metrics):
    with pytest.raises(ValueError, match="3 steps"):
        lr_trace(lambda opt: sched.ReduceLROnPlateau(opt), 3, metrics=metrics)


def test_non_finite_metric():
    with pytest.raises(ValueError, match="step 1"):
        lr_trace(lambda opt: sched.ReduceLROnPlateau(opt), 3,
                 metrics=[1.0, math.nan, 1.0])


def test_non_numeric_metric():
    with pytest.raises(TypeError, match="metrics"):
        lr_trace(lambda opt: sched.ReduceLROnPlateau(opt), 2, metrics=["a", "b"])
