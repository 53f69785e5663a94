# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 · Learning-Rate Schedules · 调节学习率
#
# [← 06 Custom Autograd](06_custom_autograd.ipynb) | [Contents](../README.md) |
# [08 Optimizers →](08_optimizers.ipynb)

# %% [markdown]
# **What you will learn**
# - Implement every schedule of the note (constant, hand-written, `StepLR`,
#   `MultiStepLR`, `ExponentialLR`, `LambdaLR`, `CosineAnnealingLR`,
#   `ReduceLROnPlateau`) and three more (warm restarts, linear warm-up, one cycle)
#   from their formulas, and verify each against PyTorch's rates at every step
# - Run each of the note's snippets as written, and see which ones fail and why
# - Call `optimizer.step()` before `scheduler.step()`, read the rate with
#   `get_last_lr()`, and give each parameter group its own `LambdaLR` factor
# - Watch `ReduceLROnPlateau`'s patience at work on a real validation loss
# - Compare three schedules on one small training run
#
# **Prerequisites**: [02 MLP training](02_mlp_training.ipynb) (a model, a loss, an
# optimizer and a training loop); runs on CPU in about 16 s; uses CUDA when present.
#
# The note's section 2.1 lists eight ways to set the learning rate, each with a
# one-line snippet. A schedule is only a function from the step number $t$ to a
# learning rate $\eta_t$, so for each one we write that function down, code it in a
# few lines of Python and assert that it equals what `torch.optim.lr_scheduler`
# does. We also run each snippet as written; several do not run.

# %% [markdown]
# ## 0. 准备 · Setup

# %%
import bisect
import math
import textwrap
import warnings

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.optim import lr_scheduler

from helpers import (
    Device,
    Float,
    Int,
    OneOf,
    Seed,
    Seq,
    check_params,
    digits_loaders,
    evaluate,
    fit,
    get_device,
    grid_axes,
    plot_losses,
    plot_lr,
    set_seed,
    train_epoch,
)
from helpers.schedules import lr_trace

# %% tags=["parameters"]
SEED = 0
DEVICE = "auto"
NUM_THREADS = 1  # CPU threads: small matrices; 1 beat 2 on 2 cores
LR = 0.1  # base learning rate eta_0 of every traced schedule
NUM_STEPS = 60  # length of each traced schedule
STEP_SIZE = 10  # StepLR: decay every STEP_SIZE steps
GAMMA = 0.5  # StepLR / MultiStepLR decay factor
MILESTONES = [15, 30, 45]  # MultiStepLR
EXP_GAMMA = 0.95  # ExponentialLR, and the note's 0.95 ** epoch
LAMBDA_PERIOD = 10  # the note's epoch // 10
T_MAX = 20  # CosineAnnealingLR: half a period
ETA_MIN = 0.0
T_0, T_MULT = 10, 2  # CosineAnnealingWarmRestarts: first period, growth
WARMUP_STEPS = 5
WARMUP_START_FACTOR = 0.1
PCT_START = 0.3  # OneCycleLR: fraction of steps spent warming up
DIV_FACTOR, FINAL_DIV_FACTOR = 25.0, 1e4  # OneCycleLR's defaults, made explicit
PLATEAU_FACTOR = 0.5
PATIENCE = 2
THRESHOLD = 1e-4  # ReduceLROnPlateau's default relative threshold
NUM_EPOCHS = 20
BATCH_SIZE = 64
IMAGE_SIZE = 8  # the digits' native 8x8
HIDDEN = 64
NUM_CLASSES = 10
TRAIN_LR = 0.2  # the ReduceLROnPlateau run
COMPARE_LR = 0.5  # the three-schedule run: high enough that a constant rate is noisy
LOG_EVERY = 5  # print every LOG_EVERY epochs
MOMENTUM = 0.9

# %%
check_params(
    globals(),
    SEED=Seed(), DEVICE=Device(), NUM_THREADS=Int(min=1), LR=Float(gt=0),
    NUM_STEPS=Int(min=2), STEP_SIZE=Int(min=1), GAMMA=Float(gt=0, lt=1),
    MILESTONES=Seq(Int(min=1), increasing=True), EXP_GAMMA=Float(gt=0, le=1),
    LAMBDA_PERIOD=Int(min=1), T_MAX=Int(min=1), ETA_MIN=Float(ge=0, lt="LR"),
    T_0=Int(min=1), T_MULT=Int(min=1), WARMUP_STEPS=Int(min=1, max="NUM_STEPS - 1"),
    WARMUP_START_FACTOR=Float(gt=0, le=1), PCT_START=Float(gt=0, lt=1),
    DIV_FACTOR=Float(gt=0), FINAL_DIV_FACTOR=Float(gt=0),
    PLATEAU_FACTOR=Float(gt=0, lt=1), PATIENCE=Int(min=0), THRESHOLD=Float(ge=0),
    LOG_EVERY=Int(min=2),
    # section 10: StepLR has decayed and the warm-up is over before the last LOG_EVERY
    NUM_EPOCHS=Int(
        min="LOG_EVERY + (STEP_SIZE if STEP_SIZE > WARMUP_STEPS else WARMUP_STEPS)"),
    BATCH_SIZE=Int(min=1),
    IMAGE_SIZE=Int(min=8), HIDDEN=Int(min=1), NUM_CLASSES=OneOf(10),
    TRAIN_LR=Float(gt=0),
    COMPARE_LR=Float(gt=0),
    MOMENTUM=Float(ge=0, lt=1),
)

# %%
# NBVAL_IGNORE_OUTPUT
# not compared: versions and the device differ between installs
generator = set_seed(SEED)
device = get_device(DEVICE)
torch.set_num_threads(NUM_THREADS)
print(f"torch {torch.__version__} | device {device}")

# %% [markdown]
# ## 1. 学习率为常数 · A constant learning rate
#
# The note's 2.1.1 is the default: an optimizer built with `lr=0.01` and no scheduler
# keeps that rate forever, $\eta_t = \eta_0$. The note's line needs a `model`; any
# module will do. We step its Adam `NUM_STEPS` times and read `param_groups[0]["lr"]`
# each time (no gradients, so no parameter moves).

# %%
model = nn.Linear(IMAGE_SIZE * IMAGE_SIZE, NUM_CLASSES)  # the note's `model`
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)  # the note's line
seen = []
for _ in range(NUM_STEPS):
    seen.append(optimizer.param_groups[0]["lr"])
    optimizer.step()
assert seen == [0.01] * NUM_STEPS
print(f"{len(seen)} steps, lr always {seen[0]}")
traces = {"constant": [LR] * NUM_STEPS}  # name -> lr before each step, for section 10

# %% [markdown]
# Every other schedule changes `param_groups[i]["lr"]` between steps. To see a
# schedule without training anything, `helpers.schedules.lr_trace(make_scheduler,
# num_steps, lr=...)` builds a throwaway parameter and an `SGD` optimizer, hands the
# optimizer to `make_scheduler`, then calls `optimizer.step()` and
# `scheduler.step()` `num_steps` times and returns the learning rate each optimizer
# step used. The cell below wraps it in the check we run for every schedule: the
# from-scratch formula must equal the trace at every step.

# %%
def check_schedule(name, expected, make_scheduler, *, lr=LR, metrics=None):
    """Assert that ``expected`` equals the scheduler's lr at every step; keep it."""
    got = lr_trace(make_scheduler, len(expected), lr=lr, metrics=metrics)
    torch.testing.assert_close(torch.tensor(got, dtype=torch.float64),
                               torch.tensor(expected, dtype=torch.float64))
    traces[name] = got
    approx = "≈" if metrics is not None else ""  # metrics from training: machine-made
    print(f"{name}: {len(got)} steps match | first {got[0]:.4g} | "
          f"last {approx}{got[-1]:.4g}")


steps = range(NUM_STEPS)

# %% [markdown]
# Beware of a name: PyTorch's `ConstantLR` is **not** the constant schedule. It
# multiplies the rate by `factor` (default 1/3) for the first `total_iters` (default 5)
# steps and then returns to $\eta_0$:
# $$\eta_t = \begin{cases} f\,\eta_0 & t < T \\ \eta_0 & t \ge T \end{cases}$$

# %%
def constant_lr(t, factor=1 / 3, total_iters=5):
    return LR * factor if t < total_iters else LR


check_schedule("ConstantLR", [constant_lr(t) for t in steps], lr_scheduler.ConstantLR)

# %% [markdown]
# The first five rates are a third of `LR`, the rest equal it: `ConstantLR` is a crude
# warm-up, and "no scheduler" is the constant schedule.
#
# ## 2. 手动定义学习率 · A hand-written schedule
#
# The note's 2.1.2 sets the rate by hand at the start of each epoch. We run its code
# as written, with the `model` from above (the note's imports, `import torch`,
# `import torch.nn as nn` and a few more, never bring in the name `optim`):

# %%
def adjust_learning_rate(optimizer, epoch, lr):
    """Sets the learning rate to the initial LR decayed by 10 every 2 epochs"""
    lr *= (0.1 ** (epoch // 2))
    for param_group in optimizer.param_groups:
        param_group['lr'] = lr


try:
    optimizer = optim.SGD(params = model.parameters(), lr=10)  # noqa: F821, E251
    for epoch in range(10):
        adjust_learning_rate(optimizer, epoch, lr_init)  # noqa: F821 (the note's name)
        lr = optimizer.param_groups[0]['lr']
except NameError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `optimizer = optim.SGD(params =
# > model.parameters(), lr=10)`, but `optim` is never imported (the note's imports,
# > `import torch`, `import torch.nn as nn` and a few more, never bring in the name
# > `optim`), so the first line
# > stops with `NameError: name 'optim' is not defined` (cell above). Write
# > `torch.optim.SGD`, or add `from torch import optim`.
#
# With `torch.optim.SGD` the loop gets one line further:

# %%
optimizer = torch.optim.SGD(params=model.parameters(), lr=10)  # the fix: torch.optim
try:
    for epoch in range(10):
        adjust_learning_rate(optimizer, epoch, lr_init)  # noqa: F821 (the note's name)
        lr = optimizer.param_groups[0]['lr']
except NameError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `adjust_learning_rate(optimizer, epoch,
# > lr_init)` but never defines `lr_init`, so the loop stops with
# > `NameError: name 'lr_init' is not defined` (cell above). It must be the initial
# > rate you want; the `lr=10` given to SGD is overwritten at epoch 0 and never used
# > (the cell below keeps the note's `lr=10` and checks it). The function needs
# > `lr_init` because it recomputes the rate from scratch each epoch.
#
# The docstring is right: with `lr_init` defined the function is the closed form
# $\eta_t = \eta_0 \cdot 0.1^{\lfloor t/2 \rfloor}$, which is exactly
# `StepLR(step_size=2, gamma=0.1)` (the note's 0.1 and 2 are written into its
# function, so they are not parameters here):

# %%
lr_init = LR
optimizer = torch.optim.SGD(model.parameters(), lr=10)  # the note's lr=10, kept
manual = []
for epoch in steps:
    adjust_learning_rate(optimizer, epoch, lr_init)
    manual.append(optimizer.param_groups[0]["lr"])
check_schedule("hand-written", manual,
               lambda opt: lr_scheduler.StepLR(opt, step_size=2, gamma=0.1))
assert manual[0] == lr_init and 10 not in manual  # SGD's lr=10 is never used
print(f"first used rate == lr_init, not SGD's lr=10: {manual[0] == lr_init}")
print(f"rate at epoch {NUM_STEPS - 1} / lr_init: {manual[-1] / lr_init:.0e}")

# %% [markdown]
# The hand-written loop and `StepLR(step_size=2, gamma=0.1)` agree at every step. A
# tenth every two epochs leaves almost nothing of the rate by the end of the trace
# (last line above): check a decay against the number of epochs.
#
# ## 3. 等间隔调整学习率 · StepLR
#
# ### 3.1 The closed form
#
# `StepLR` multiplies the rate by $\gamma$ every `step_size` steps $s$:
# $$\eta_t = \eta_0\,\gamma^{\lfloor t/s \rfloor}$$

# %%
def step_lr(t):
    return LR * GAMMA ** (t // STEP_SIZE)


check_schedule("StepLR", [step_lr(t) for t in steps],
               lambda opt: lr_scheduler.StepLR(opt, step_size=STEP_SIZE, gamma=GAMMA))

# %% [markdown]
# The rate is multiplied by `GAMMA` every `STEP_SIZE` steps, as the formula says. The
# note's StepLR snippet does not run, for two reasons we can show:

# %%
note_loop = "for epoch:\n\tscheduler.step()\n"
try:
    compile(note_loop, "<note 2.1.3>", "exec")
except SyntaxError as err:
    print(f"{type(err).__name__}: {err.msg} (line {err.lineno})")
try:
    model = net.train(model, loss_function, optimizer, scheduler,  # noqa: F821
                      num_epochs=100)
except NameError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `for epoch:`, a `SyntaxError` (cell above): a
# > `for` needs `in range(num_epochs)`.
#
# The other line, `model = net.train(model, loss_function, optimizer, scheduler,
# num_epochs = 100)`, stands for your own training function; the note defines neither
# it nor `loss_function`, so as written it stops with the `NameError` above. (It is
# not `nn.Module.train(mode)`, which only switches training mode.) For each epoch,
# train (calling `optimizer.step()` per batch), then call `scheduler.step()` once;
# `helpers.fit` in section 10 does exactly that.
#
# The note's prose says "每过step_size个epoch, learning_rate *= 0.9" (every `step_size`
# epochs, multiply the rate by 0.9), and its snippet uses
# `step_size=100` for a 100-epoch run. Tracing those numbers:

# %%
note_step = lr_trace(lambda opt: lr_scheduler.StepLR(opt, step_size=100, gamma=0.9),
                     100, lr=LR)
assert set(note_step) == {LR}
print(f"distinct rates over 100 epochs: {sorted(set(note_step))}")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `StepLR(optimizer, step_size = 100, gamma =
# > 0.9)` for a run of `num_epochs = 100`. The first decay happens after epoch 100, so
# > in a 100-epoch run the rate never changes (cell above: one distinct value). Pick
# > `step_size` well below the number of epochs.
#
# The note's prose, "每过step_size个epoch, learning_rate *= 0.9", is right for its
# snippet: the factor is the `gamma` argument, 0.9 there, and the step counter is
# the number of `scheduler.step()` calls, one per epoch in the note's loop.
#
# ### 3.2 调用顺序 · optimizer.step() before scheduler.step()
#
# Since PyTorch 1.1 the scheduler is stepped **after** the optimizer. The cell below
# does it the other way round, records the warning instead of letting it reach
# stderr, and prints its text.

# %%
param = nn.Parameter(torch.zeros(1))
optimizer = torch.optim.SGD([param], lr=LR)
scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=GAMMA)
wrong_order = []
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for _ in range(NUM_STEPS):
        scheduler.step()  # wrong: before the optimizer
        wrong_order.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
print(f"{caught[0].category.__name__}:")
print(textwrap.fill(str(caught[0].message), width=88))

# %% [markdown]
# The warning says the first value of the schedule is skipped. The right order, from
# `lr_trace`, next to the rates the wrong order used:

# %%
right_order = lr_trace(lambda opt: lr_scheduler.StepLR(opt, 1, gamma=GAMMA),
                       NUM_STEPS + 1)
print("right:", [f"{lr:.4f}" for lr in right_order[:4]])
print("wrong:", [f"{lr:.4f}" for lr in wrong_order[:4]])
assert wrong_order == right_order[1:]
assert LR not in wrong_order

# %% [markdown]
# Stepped first, the scheduler moves the rate before any update uses it: the whole
# schedule shifts one step early and $\eta_0$ is never used.
#
# ### 3.3 读取学习率 · get_last_lr()
#
# Two places hold the current rate: the optimizer's `param_groups[i]["lr"]`, which
# the next `optimizer.step()` uses, and `scheduler.get_last_lr()`, a list with one
# rate per group that the scheduler stores at each `step()`. They agree at every
# step. `get_lr()` is another thing: the formula `step()` applies right after it
# advances the step counter `last_epoch`. Called from outside, it applies that formula
# once more at the same `last_epoch`, to the rate already in the optimizer; it warns,
# and can return a different number.

# %%
optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=LR)
scheduler = lr_scheduler.StepLR(optimizer, step_size=STEP_SIZE, gamma=GAMMA)
for _ in steps:
    assert scheduler.get_last_lr() == [g["lr"] for g in optimizer.param_groups]
    optimizer.step()
    scheduler.step()
print(f"get_last_lr() == param_groups lr before each of {NUM_STEPS} steps: True")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    internal = scheduler.get_lr()
print(f"get_lr() warns: {caught[0].message}")
just_decayed = NUM_STEPS % STEP_SIZE == 0  # StepLR cut the rate at the last step
last = scheduler.get_last_lr()[0]
assert math.isclose(internal[0], last * GAMMA if just_decayed else last)
later = step_lr(NUM_STEPS + STEP_SIZE)  # the rate STEP_SIZE steps later
assert math.isclose(internal[0], later) == just_decayed
print(f"just decayed: {just_decayed} | get_lr() {internal[0]:.4g} | "
      f"get_last_lr() {last:.4g} | rate at step {NUM_STEPS + STEP_SIZE}: {later:.4g}")

# %% [markdown]
# Log `get_last_lr()` (or `param_groups`), never `get_lr()`: right after a step on
# which `StepLR` decayed, `get_lr()` applies `gamma` a second time and returns the
# rate the schedule reaches only `STEP_SIZE` steps later; between decays it returns
# the current rate (the `assert`s check whichever case the last line shows).
#
# ## 4. 按需调整学习率 · MultiStepLR
#
# `MultiStepLR` multiplies by $\gamma$ each time $t$ passes a milestone $m \in M$:
# $$\eta_t = \eta_0\,\gamma^{\,|\{m \in M \,:\, m \le t\}|}$$
# `bisect_right` counts the milestones $\le t$.

# %%
def multistep_lr(t):
    return LR * GAMMA ** bisect.bisect_right(MILESTONES, t)


check_schedule("MultiStepLR", [multistep_lr(t) for t in steps],
               lambda opt: lr_scheduler.MultiStepLR(opt, MILESTONES, gamma=GAMMA))

# %% [markdown]
# The milestones need not be evenly spaced; evenly spaced ones are `StepLR`. So the
# note's description, "按设定的间隔调整学习率" (adjust the rate at set intervals),
# fits `StepLR` better: `MultiStepLR` changes it at the milestones you list, whatever
# the gaps between them (the note's own `[30, 80, 120]` has gaps of 50 and 40). The
# note's snippet runs as written once an optimizer exists; we trace its milestones
# past the last one and print where the rate changes and by what factor:

# %%
optimizer = torch.optim.SGD(model.parameters(), lr=LR)
# 每到一个milestone, 减小学习率gamma倍
milestones=[30,80,120]  # noqa: E225 (the note's lines, as written)
torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=0.1, last_epoch=-1)
note_multi = lr_trace(lambda opt: lr_scheduler.MultiStepLR(
    opt, milestones, gamma=0.1, last_epoch=-1), milestones[-1] + 1)
changes = [t for t in range(1, len(note_multi)) if note_multi[t] != note_multi[t - 1]]
ratios = {round(note_multi[t] / note_multi[t - 1], 6) for t in changes}
print(f"rate changes at epochs {changes}, each time by a factor {ratios}")

# %% [markdown]
# > **Erratum (勘误)** — the note's comment says "每到一个milestone, 减小学习率gamma倍"
# > (at each milestone reduce the rate *gamma times*), which reads as dividing by
# > `gamma`. The rate is **multiplied** by `gamma`: with the note's `gamma=0.1` it
# > becomes a tenth at each milestone (cell above), and the formula before it matches
# > the scheduler at every step.
#
# The note passes `last_epoch=-1`, the default. It is not "the last epoch of
# training": it is the index of the last step already taken, and `-1` means a fresh
# start. Any other value means "resume", and the scheduler then needs the
# `initial_lr` a previous scheduler stored in the optimizer:

# %%
fresh = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=LR)
try:
    lr_scheduler.MultiStepLR(fresh, MILESTONES, gamma=GAMMA, last_epoch=MILESTONES[0])
except KeyError as err:
    print(f"{type(err).__name__}: {err.args[0].splitlines()[0]}")

# %% [markdown]
# So leave `last_epoch` at `-1` unless you restore a scheduler from a checkpoint
# (and then prefer `scheduler.load_state_dict`).
#
# ## 5. 指数衰减调整学习率 · ExponentialLR
#
# The note's formula line is garbled, and is not Python either:

# %%
note_formula = "lr=lr∗gamma∗∗epochlr=lr∗gamma∗∗epoch"
try:
    compile(note_formula, "<note 2.1.5>", "exec")
except SyntaxError as err:
    print(f"{type(err).__name__}: {err.msg}")
try:
    torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma,  # noqa: F821
                                           last_epoch=-1)
except NameError as err:
    print(f"{type(err).__name__}: {err}")
try:
    lr_scheduler.ExponentialLR(optimizer)  # gamma left out
except TypeError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `lr=lr∗gamma∗∗epochlr=lr∗gamma∗∗epoch`: the
# > formula is printed twice without a separator and with `∗` (U+2217) for `*`. It
# > means $\eta_t = \eta_0\,\gamma^{t}$: the **initial** rate times `gamma ** epoch`
# > (writing `lr = lr * gamma ** epoch` in a loop would compound it). The constructor
# > line is the right signature (`gamma` is required, last line above; `last_epoch=-1`
# > is the default), but it leaves `gamma` undefined (cell above); the next cell
# > checks the formula.

# %%
def exponential_lr(t):
    return LR * EXP_GAMMA**t


check_schedule("ExponentialLR", [exponential_lr(t) for t in steps],
               lambda opt: lr_scheduler.ExponentialLR(opt, gamma=EXP_GAMMA))

# %% [markdown]
# The four decaying schedules so far, on one plot (log scale, so a constant factor is
# a constant drop):

# %%
ax = plot_lr({name: traces[name] for name in
              ["hand-written", "StepLR", "MultiStepLR", "ExponentialLR"]},
             log_y=True, xlabel="step", title="Decaying schedules (log scale)")
ax.set_ylim(LR * 1e-3, LR * 2)
plt.show()

# %% [markdown]
# On the log scale `ExponentialLR` is a straight line, `StepLR` and `MultiStepLR` are
# stairs, and the note's hand-written schedule falls off the bottom in a few steps.
#
# ## 6. LambdaLR
#
# `LambdaLR` multiplies the **initial** rate by any function of the step:
# $\eta_t = \eta_0\,\lambda(t)$; the note's sentence "将每个参数组的学习率设置为初始lr乘以给定函数"
# says the same, per parameter group (6.3). The note names its function
# `lambda`; we compile its block as written:

# %%
note_lambda = """\
# 根据epoch计算出与lr相乘的乘数因子为epoch//10的值
lambda = lambda epoch:epoch // 10
# 根据epoch计算出与lr相乘的乘数因子为0.95 ** epoch的值
lambda = lambda epoch:0.95 ** epoch
scheduler = lr_scheduler.LambdaLR(optimizer, lr_lambda = lambda)
"""
try:
    compile(note_lambda, "<note 2.1.6>", "exec")
except SyntaxError as err:
    print(f"{type(err).__name__}: {err.msg} (line {err.lineno})")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `lambda = lambda epoch:epoch // 10` and
# > `lr_lambda = lambda`. `lambda` is a Python keyword, so this is a `SyntaxError`
# > (cell above); name the function, e.g. `lr_lambda`. The snippet also uses
# > `lr_scheduler` without `from torch.optim import lr_scheduler` (our setup cell
# > imports it).
#
# With a legal name the block runs, and the second assignment replaces the first:

# %%
optimizer = torch.optim.SGD(model.parameters(), lr=LR)
# 根据epoch计算出与lr相乘的乘数因子为epoch//10的值
lr_lambda = lambda epoch:epoch // 10  # noqa: E731 (the note's lines, renamed)
# 根据epoch计算出与lr相乘的乘数因子为0.95 ** epoch的值
lr_lambda = lambda epoch:0.95 ** epoch  # noqa: E731
scheduler = lr_scheduler.LambdaLR(optimizer, lr_lambda = lr_lambda)
assert len(scheduler.lr_lambdas) == 1
assert [scheduler.lr_lambdas[0](e) for e in steps] == [0.95**e for e in steps]
print("the scheduler holds one factor, the second: 0.95 ** epoch")

# %% [markdown]
# Each comment describes its factor correctly; the two lines are alternatives, and
# run as one block only `0.95 ** epoch` reaches the scheduler. PyTorch's own
# `LambdaLR` example uses the same two kinds of factor (`epoch // 30` and
# `0.95 ** epoch`) as a list, one per parameter group: section 6.3.
#
# ### 6.1 The floor factor `epoch // LAMBDA_PERIOD`
#
# We trace the first factor with `LAMBDA_PERIOD` in place of the note's 10:

# %%
def note_factor(epoch):
    return epoch // LAMBDA_PERIOD


floor_name = f"LambdaLR (epoch // {LAMBDA_PERIOD})"
check_schedule(floor_name, [LR * note_factor(t) for t in steps],
               lambda opt: lr_scheduler.LambdaLR(opt, lr_lambda=note_factor))
num_zero = min(LAMBDA_PERIOD, NUM_STEPS)
assert traces[floor_name][:num_zero] == [0.0] * num_zero
print(f"rate 0 for the first {num_zero} steps: True | "
      f"largest rate {max(traces[floor_name]) / LR:.0f} x LR")

# %% [markdown]
# The factor is what the note's comment says, but as a schedule it is a ramp that
# never stops: the rate is exactly 0 for the first `LAMBDA_PERIOD` steps (nothing
# trains), then $\eta_0, 2\eta_0, \ldots$, growing past the base rate (cell above).
# In PyTorch's example it is one group's factor, next to a decaying one (the docs
# also show it alone).
#
# ### 6.2 Decaying factors, and the schedulers they equal
#
# A factor that *decays* in stairs is `GAMMA ** (epoch // LAMBDA_PERIOD)`, and the
# note's second factor is an exponential. We trace both with `LambdaLR` and assert
# that they equal `StepLR` and `ExponentialLR`:

# %%
def step_factor(epoch):
    return GAMMA ** (epoch // LAMBDA_PERIOD)


def exp_factor(epoch):
    return EXP_GAMMA**epoch


stairs_name = f"LambdaLR ({GAMMA} ** (epoch // {LAMBDA_PERIOD}))"
check_schedule(stairs_name, [LR * step_factor(t) for t in steps],
               lambda opt: lr_scheduler.LambdaLR(opt, lr_lambda=step_factor))
check_schedule(f"LambdaLR ({EXP_GAMMA} ** epoch)", [LR * exp_factor(t) for t in steps],
               lambda opt: lr_scheduler.LambdaLR(opt, lr_lambda=exp_factor))
step_equal = lr_trace(lambda opt: lr_scheduler.StepLR(
    opt, step_size=LAMBDA_PERIOD, gamma=GAMMA), NUM_STEPS, lr=LR)
torch.testing.assert_close(traces[stairs_name], step_equal)
torch.testing.assert_close(traces[f"LambdaLR ({EXP_GAMMA} ** epoch)"],
                           traces["ExponentialLR"])
print(f"equal to StepLR(step_size={LAMBDA_PERIOD}, gamma={GAMMA}) and "
      f"ExponentialLR(gamma={EXP_GAMMA}): True")

# %%
plot_lr({f"note: epoch // {LAMBDA_PERIOD}": traces[floor_name],
         f"decay: {GAMMA} ** (epoch // {LAMBDA_PERIOD})": traces[stairs_name]},
        xlabel="step", title="LambdaLR: the note's floor factor and a decay")
plt.show()

# %% [markdown]
# The note's floor factor (blue) is zero, then climbs above the initial rate; the
# decaying one (orange) is multiplied by `GAMMA` every `LAMBDA_PERIOD` steps.
#
# ### 6.3 参数组 · One factor per parameter group
#
# An optimizer can hold several parameter groups, each with its own `lr` (a common
# use: a smaller rate for a pretrained body than for a new head). `lr_lambda` may
# then be a list, one function per group, and group $i$ follows
# $\eta^{(i)}_t = \eta^{(i)}_0\,\lambda_i(t)$. Below, the weights start at `LR` with
# the note's floor factor and the biases at `LR * GAMMA` with the exponential one:

# %%
optimizer = torch.optim.SGD([{"params": [model.weight]},
                             {"params": [model.bias], "lr": LR * GAMMA}], lr=LR)
scheduler = lr_scheduler.LambdaLR(optimizer, lr_lambda=[note_factor, exp_factor])
group_lrs = []
for _ in steps:
    group_lrs.append([group["lr"] for group in optimizer.param_groups])
    assert scheduler.get_last_lr() == group_lrs[-1]
    optimizer.step()
    scheduler.step()
expected = [[LR * note_factor(t), LR * GAMMA * exp_factor(t)] for t in steps]
torch.testing.assert_close(torch.tensor(group_lrs, dtype=torch.float64),
                           torch.tensor(expected, dtype=torch.float64))
print(f"base lrs {[f'{lr:.4g}' for lr in scheduler.base_lrs]}: each group follows "
      f"its own factor at all {NUM_STEPS} steps: True")

# %% [markdown]
# `get_last_lr()` returns one rate per group (asserted at every step above). The
# list must have exactly one function per group:

# %%
try:
    lr_scheduler.LambdaLR(optimizer, lr_lambda=[exp_factor])
except ValueError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# ## 7. 余弦退火调整学习率 · CosineAnnealingLR and warm restarts
#
# ### 7.1 CosineAnnealingLR
#
# The closed form is half a cosine from $\eta_0$ down to $\eta_{\min}$ over $T_{\max}$
# steps:
# $$\eta_t = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})
# \left(1 + \cos\frac{\pi t}{T_{\max}}\right)$$
# We check it for all `NUM_STEPS` steps, past $T_{\max}$ too, and print where the
# rate has its minima and maxima (`turning_points` below).

# %%
def cosine_lr(t, t_max=T_MAX, eta_min=ETA_MIN):
    return eta_min + (LR - eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2


def turning_points(trace):
    """Steps of the strict local minima and maxima of a trace."""
    inner = range(1, len(trace) - 1)
    lows = [t for t in inner if trace[t - 1] > trace[t] < trace[t + 1]]
    highs = [t for t in inner if trace[t - 1] < trace[t] > trace[t + 1]]
    return lows, highs


check_schedule("CosineAnnealingLR", [cosine_lr(t) for t in steps],
               lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_MAX, eta_min=ETA_MIN))
cosine = traces["CosineAnnealingLR"]
lows, highs = turning_points(cosine)
print(f"T_max = {T_MAX}: minima at steps {lows}, maxima at steps {highs}")

# %% [markdown]
# After $T_{\max}$ the rate does not stay at $\eta_{\min}$ and does not jump back: it
# climbs smoothly back to $\eta_0$ at $2T_{\max}$, a cosine wave of period $2T_{\max}$
# (minima at odd multiples of $T_{\max}$, maxima at even ones, within the trace).
#
# The formula above is what PyTorch's docs call the closed form; the scheduler
# itself updates the rate *recursively*, from the rate in the optimizer, so a rate
# changed by hand carries on. We halve it halfway down and step once:

# %%
optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=LR)
scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_MAX, eta_min=ETA_MIN)
t_edit = T_MAX // 2
for _ in range(t_edit):
    optimizer.step()
    scheduler.step()
optimizer.param_groups[0]["lr"] /= 2  # a change by hand
halved = optimizer.param_groups[0]["lr"]
optimizer.step()
scheduler.step()
ratio = ((1 + math.cos(math.pi * (t_edit + 1) / T_MAX))
         / (1 + math.cos(math.pi * t_edit / T_MAX)))
assert math.isclose(scheduler.get_last_lr()[0], ETA_MIN + (halved - ETA_MIN) * ratio)
print(f"step {t_edit + 1}: scheduler {scheduler.get_last_lr()[0]:.4g} (the recursion "
      f"from the halved rate) | closed form {cosine_lr(t_edit + 1):.4g}")

# %% [markdown]
# The note describes the schedule as "以余弦函数为周期，并在每个周期最大值时重新设置学习率。以初始学习率为最大学习率"
# (periodic in a cosine, set back at each period's
# maximum, the initial rate being the maximum). Read as "the rate comes back to the
# initial rate at each maximum", that is right (the maxima above). Read as a *jump*
# back, a restart, it is not: PyTorch's docs say `CosineAnnealingLR` does cosine
# annealing "without restarts"; the restarts are `CosineAnnealingWarmRestarts`
# (7.2). The note's `T_max = (epochs // 9) + 1` is a choice with a consequence we
# trace next: several descents in one run, not one.
#
# The note's snippet as written (with our `model`):

# %%
try:
    optimizer = optim.SGD(model.parameters(),lr = config.lr,  # noqa: F821
                          momentum=0.9,weight_decay=1e-4)  # (one line in the note)
    scheduler = lr_scheduler.CosineAnnealingLR(
        optimizer,T_max = (epochs // 9) + 1)  # noqa: F821 (one line in the note)
except NameError as err:
    print(f"{type(err).__name__}: {err}")
epochs = NUM_STEPS  # the note's `epochs`, for the trace
note_cosine = lr_trace(lambda opt: lr_scheduler.CosineAnnealingLR(
    opt, T_max=(epochs // 9) + 1), epochs, lr=LR)
lows, highs = turning_points(note_cosine)
print(f"epochs = {epochs}, T_max = {(epochs // 9) + 1}: minima at {lows}, "
      f"maxima at {highs}")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `optimizer = optim.SGD(model.parameters(),
# > lr = config.lr, ...)`; as in 2.1.2, `optim` is never imported, so it stops with
# > `NameError: name 'optim' is not defined` (cell above). Write `torch.optim.SGD`.
# > The next line uses `lr_scheduler`, which the note never imports either (as in
# > 2.1.6; our setup cell does): add `from torch.optim import lr_scheduler`.
# > `config.lr` and `epochs` are the reader's own settings and must be defined too.
#
# With the note's `T_max`, about a ninth of the run, the rate goes down and back up
# every $2T_{\max}$ epochs, again and again (last line above); for a single decay
# over the whole run, set `T_max = epochs`.
#
# ### 7.2 CosineAnnealingWarmRestarts
#
# SGDR restarts the cosine: with $T_{cur}$ the steps since the last restart and $T_i$
# the current period (first $T_0$, then multiplied by $T_{mult}$ at each restart),
# $$\eta_t = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})
# \left(1 + \cos\frac{\pi T_{cur}}{T_i}\right)$$

# %%
def warm_restarts_lr(t, eta_min=ETA_MIN):
    t_cur, t_i = t, T_0
    while t_cur >= t_i:  # skip the finished periods
        t_cur, t_i = t_cur - t_i, t_i * T_MULT
    return eta_min + (LR - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2


check_schedule("CosineAnnealingWarmRestarts", [warm_restarts_lr(t) for t in steps],
               lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(
                   opt, T_0, T_mult=T_MULT, eta_min=ETA_MIN))
restarts = [t for t in range(1, NUM_STEPS)
            if traces["CosineAnnealingWarmRestarts"][t]
            > traces["CosineAnnealingWarmRestarts"][t - 1]]
print(f"T_0 = {T_0}, T_mult = {T_MULT}: the rate jumps back to LR at steps {restarts}")

# %%
plot_lr({"CosineAnnealingLR": cosine,
         "CosineAnnealingWarmRestarts": traces["CosineAnnealingWarmRestarts"]},
        xlabel="step", title=f"Cosine: T_max={T_MAX} vs T_0={T_0}, T_mult={T_MULT}")
plt.show()

# %% [markdown]
# The plain cosine (blue) turns around at $T_{\max}$ and rises smoothly; the warm
# restarts (orange) jump back to $\eta_0$ at the steps printed above, each period
# `T_MULT` times as long as the one before.
#
# ## 8. 自适应调整学习率 · ReduceLROnPlateau
#
# ### 8.1 The metric is an argument of `step`
#
# `ReduceLROnPlateau` looks at a number you measure, not at the step count. The
# note's line builds it; calling `step()` the way every other scheduler is called
# fails. We also print the settings the note's line leaves at their defaults:

# %%
optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=LR)
scheduler=torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer,mode='min',factor=0.9)
try:
    scheduler.step()
except TypeError as err:
    print(f"{type(err).__name__}: {err}")
note_plateau = {"factor": scheduler.factor, "patience": scheduler.patience,
                "threshold": scheduler.threshold}
print(f"the note's scheduler: mode {scheduler.mode!r}, {note_plateau}, "
      f"threshold_mode {scheduler.threshold_mode!r}")

# %% [markdown]
# The note shows only the constructor; the loop must call
# `scheduler.step(val_loss)` with the metric, once per epoch after validation.
#
# The rule, for `mode="min"`: keep the best metric so far; a step is *bad* unless
# $m_t < \text{best}\,(1-\theta)$ ($\theta$ = `threshold`); when the count of
# consecutive bad steps exceeds the patience, $\eta \leftarrow f\,\eta$ and the count
# restarts from zero.

# %%
def plateau_rule(metrics, lr, factor=PLATEAU_FACTOR, patience=PATIENCE,
                 threshold=THRESHOLD):
    """Rates before each step, and (step, best) at each cut; mode='min', 'rel'."""
    best, num_bad, lrs, cuts = math.inf, 0, [], []
    for step, metric in enumerate(metrics):
        lrs.append(lr)
        if metric < best * (1 - threshold):
            best, num_bad = metric, 0
        else:
            num_bad += 1
        if num_bad > patience:
            lr, num_bad = lr * factor, 0
            cuts.append((step, best))
    return lrs, cuts

# %% [markdown]
# (We leave out `cooldown`, `min_lr` and `eps`, at their defaults 0, 0 and `1e-8`.)
#
# What does the note's scheduler do with a loss that stops falling at once? A flat
# loss, three patience windows long, through the note's settings, `mode="min"` and
# then `mode="max"`:

# %%
flat = [1.0] * (3 * (note_plateau["patience"] + 1) + 1)
note_min = lr_trace(lambda opt: lr_scheduler.ReduceLROnPlateau(
    opt, mode='min', factor=0.9), len(flat), lr=LR, metrics=flat)
rule_min, note_cuts = plateau_rule(flat, LR, **note_plateau)
assert note_min == rule_min
cut_epochs = [step + 1 for step, _ in note_cuts]
window = note_plateau["patience"] + 1  # epochs without improvement before a cut
assert cut_epochs == [1 + k * window for k in (1, 2, 3)]  # epoch 1 sets the best
print(f"mode 'min', flat loss: rate x {note_plateau['factor']} after epochs "
      f"{cut_epochs}, not after epoch 2")
note_max = lr_trace(lambda opt: lr_scheduler.ReduceLROnPlateau(
    opt, mode='max', factor=0.9), len(flat), lr=LR, metrics=flat)
assert note_max == note_min
print("mode 'max', flat metric: the same cuts, down: True")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote "mode为min, loss不下降学习率乘以factor" (when
# > the loss does not fall, the rate is multiplied by `factor`). The rate is cut only
# > after the metric has failed to improve by more than `threshold` (relative,
# > default `1e-4`) for **more than** `patience` consecutive epochs (default 10): with
# > the note's line and a flat loss, the first cut comes `patience + 1` epochs after
# > the first, not at the first epoch the loss does not fall (cell above).
#
# "max则反之" (the reverse for `max`) is right about the metric only: in `mode="max"`
# the scheduler waits for the metric to stop *rising*, and then it still multiplies
# the rate by `factor < 1`; it never raises it (cell above).
#
# ### 8.2 A real validation loss
#
# We train the small MLP on the 8×8 digits with SGD and momentum, measure the test
# loss after each epoch (the held-out split stands in for a validation set) and pass
# it to `scheduler.step`. `make_mlp` is reused in section 10. We use our own
# `PLATEAU_FACTOR` and `PATIENCE` instead of the note's `factor=0.9` and default
# patience of 10, so that a run of `NUM_EPOCHS` epochs has room for several cuts.
#
# The log prints the numbers that come out of training after `≈`: `NUM_EPOCHS`
# epochs of float32 steps amplify the last-bit differences between machines, so your
# digits, and even the epochs at which the rate is cut, may differ from the stored
# ones. The `assert`s check what holds on every machine.

# %%
def make_mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(IMAGE_SIZE * IMAGE_SIZE, HIDDEN),
                         nn.ReLU(), nn.Linear(HIDDEN, NUM_CLASSES))


loss_fn = nn.CrossEntropyLoss()
generator = set_seed(SEED)
train_loader, test_loader = digits_loaders(BATCH_SIZE, size=IMAGE_SIZE,
                                           generator=generator)
X, y = next(iter(train_loader))
print(f"X {tuple(X.shape)} {X.dtype} | y {tuple(y.shape)} {y.dtype} | "
      f"logits {tuple(make_mlp()(X).shape)}")

# %%
model = make_mlp().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=TRAIN_LR, momentum=MOMENTUM)
scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, factor=PLATEAU_FACTOR,
                                           patience=PATIENCE, threshold=THRESHOLD)
val_losses, plateau_lrs = [], []
for epoch in range(1, NUM_EPOCHS + 1):
    plateau_lrs.append(optimizer.param_groups[0]["lr"])
    loss = train_epoch(model, train_loader, loss_fn, optimizer, device)
    val_loss, acc = evaluate(model, test_loader, loss_fn, device)
    scheduler.step(val_loss)  # after validation, with the metric
    val_losses.append(val_loss)
    if epoch % LOG_EVERY == 0:
        print(f"epoch {epoch:>3d} | loss ≈{loss:.4f} | acc ≈{acc:.2%} | "
              f"val loss ≈{val_loss:.4f} | lr ≈{plateau_lrs[-1]:.4f}")

# %% [markdown]
# Now the patience at work: for each cut, the epochs that did not beat the best loss
# and the rate before and after. Our rule replays the same cuts from the recorded
# losses alone.

# %%
# NBVAL_IGNORE_OUTPUT
# not compared: which epochs cut the rate depends on losses whose digits vary by machine
rule_lrs, cuts = plateau_rule(val_losses, TRAIN_LR)
assert rule_lrs == plateau_lrs and cuts, "the rule must reproduce at least one cut"
assert scheduler.get_last_lr() == [optimizer.param_groups[0]["lr"]]
for step, best in cuts:
    bad = ", ".join(f"{m:.4f}" for m in val_losses[step - PATIENCE: step + 1])
    print(f"after epoch {step + 1:>2d}: best {best:.4f}; epochs {step + 1 - PATIENCE}-"
          f"{step + 1} gave {bad} -> lr {plateau_lrs[step]:.4f} -> "
          f"{plateau_lrs[step] * PLATEAU_FACTOR:.4f}")

# %% [markdown]
# Each cut comes after `PATIENCE + 1` epochs in a row that are no better than the
# best so far. The same losses fed to `lr_trace` give the same rates from `LR`:

# %%
check_schedule("ReduceLROnPlateau", plateau_rule(val_losses, LR)[0],
               lambda opt: lr_scheduler.ReduceLROnPlateau(
                   opt, factor=PLATEAU_FACTOR, patience=PATIENCE, threshold=THRESHOLD),
               metrics=val_losses)

# %%
fig, (ax_loss, ax_lr) = grid_axes(2, ncols=2)
epochs = range(1, NUM_EPOCHS + 1)
best_so_far = torch.tensor(val_losses).cummin(dim=0).values
plot_losses({"validation loss": val_losses, "best so far": best_so_far}, x=epochs,
            ax=ax_loss, title="Validation loss (dotted: cuts)")
ax_loss.set_ylim(top=2 * min(val_losses))  # zoom on the plateau
for step, _ in cuts:
    ax_loss.axvline(step + 1, color="gray", linestyle=":")
plot_lr(plateau_lrs, x=epochs, ax=ax_lr, title="ReduceLROnPlateau: lr per epoch")
plt.show()

# %% [markdown]
# The dotted lines mark the epochs after which the rate was halved: each comes when
# the best-so-far curve has stayed flat for `PATIENCE + 1` epochs.
#
# ## 9. 预热与单周期 · Warm-up and one cycle
#
# Two schedules the note does not cover and a learner meets next.
#
# ### 9.1 Linear warm-up, then cosine (`LinearLR` + `SequentialLR`)
#
# A warm-up starts small to avoid huge early updates. `LinearLR` ramps the factor from
# $f_0$ to 1 in $W$ steps and `SequentialLR` hands over to a cosine over the
# remaining $T - W$ steps:
# $$\eta_t = \begin{cases} \eta_0\left(f_0 + (1-f_0)\,\tfrac{t}{W}\right) & t < W
# \\ \tfrac12\eta_0\left(1 + \cos\frac{\pi (t-W)}{T-W}\right) & t \ge W \end{cases}$$

# %%
def warmup_cosine_lr(t, total=NUM_STEPS):
    if t < WARMUP_STEPS:
        return LR * (WARMUP_START_FACTOR + (1 - WARMUP_START_FACTOR) * t / WARMUP_STEPS)
    frac = (t - WARMUP_STEPS) / (total - WARMUP_STEPS)
    return LR * (1 + math.cos(math.pi * frac)) / 2


def warmup_cosine(optimizer, total=NUM_STEPS):
    warmup = lr_scheduler.LinearLR(optimizer, start_factor=WARMUP_START_FACTOR,
                                   total_iters=WARMUP_STEPS)
    decay = lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - WARMUP_STEPS)
    return lr_scheduler.SequentialLR(optimizer, [warmup, decay],
                                     milestones=[WARMUP_STEPS])


check_schedule("warm-up + cosine", [warmup_cosine_lr(t) for t in steps], warmup_cosine)

# %% [markdown]
# ### 9.2 OneCycleLR
#
# `OneCycleLR` ignores the optimizer's `lr`: it starts at
# $\eta_{\text{start}} = \eta_{\max}/d$ ($d$ = `div_factor`), rises along a cosine to
# $\eta_{\max}$ at step $u = p\,T - 1$ ($p$ = `pct_start`), then falls along a cosine
# to $\eta_{\text{end}} = \eta_{\text{start}}/d_f$ ($d_f$ = `final_div_factor`) at
# step $T-1$. With $A(a, b, x) = b + \tfrac12(a-b)(1+\cos\pi x)$ (`cos_anneal` below):
# $$\eta_t = \begin{cases} A(\eta_{\text{start}}, \eta_{\max}, t/u) & t \le u
# \\ A(\eta_{\max}, \eta_{\text{end}}, (t-u)/(T-1-u)) & t > u \end{cases}$$

# %%
def cos_anneal(start, end, frac):
    return end + (start - end) * (1 + math.cos(math.pi * frac)) / 2


def one_cycle_lr(t, max_lr=LR, total=NUM_STEPS):
    start, up = max_lr / DIV_FACTOR, PCT_START * total - 1
    if t <= up:
        return cos_anneal(start, max_lr, t / up)
    return cos_anneal(max_lr, start / FINAL_DIV_FACTOR, (t - up) / (total - 1 - up))


def make_one_cycle(optimizer, max_lr=LR, total=NUM_STEPS, **kwargs):
    return lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, total_steps=total, pct_start=PCT_START,
        div_factor=DIV_FACTOR, final_div_factor=FINAL_DIV_FACTOR, **kwargs)


check_schedule("OneCycleLR", [one_cycle_lr(t) for t in steps], make_one_cycle)
other_lr = lr_trace(make_one_cycle, NUM_STEPS, lr=10 * LR)  # the optimizer's lr x 10
assert other_lr == traces["OneCycleLR"]
print(f"optimizer lr {10 * LR:.4g} instead of {LR:.4g}: the same rates: True")

# %% [markdown]
# Both match at every step. `OneCycleLR` also cycles the momentum inversely to the
# rate (`cycle_momentum=True`, between `base_momentum` and `max_momentum`), and it
# is meant to be stepped once per **batch**, exactly `total_steps` times:

# %%
optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=LR, momentum=MOMENTUM)
scheduler = make_one_cycle(optimizer)
lrs, momenta = [], []
for _ in steps:
    lrs.append(optimizer.param_groups[0]["lr"])
    momenta.append(optimizer.param_groups[0]["momentum"])
    optimizer.step()
    scheduler.step()
peak = lrs.index(max(lrs))
group = optimizer.param_groups[0]
assert momenta.index(min(momenta)) == peak and momenta[0] == group["max_momentum"]
print(f"SGD momentum={MOMENTUM}; used: {momenta[0]:.2f} (max_momentum) down to "
      f"{min(momenta):.2f} at the rate's peak (step {peak}) and back")
try:
    optimizer.step()
    scheduler.step()  # one step too many
except ValueError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# So with `OneCycleLR` the momentum you give `SGD` is replaced by the cycle, which
# starts at `max_momentum` (first line), and `total_steps` must be the number of
# batches of the whole run: one step more is an error (second line).
#
# ## 10. 对比 · All schedules side by side, then a real run
#
# Every schedule checked above, one panel each, from the traces we stored:

# %%
panels = ["constant", "ConstantLR", "hand-written", "StepLR", "MultiStepLR",
          "ExponentialLR", floor_name, "CosineAnnealingLR",
          "CosineAnnealingWarmRestarts", "ReduceLROnPlateau", "warm-up + cosine",
          "OneCycleLR"]
fig, axes = grid_axes(len(panels), ncols=3)
for name, ax in zip(panels, axes, strict=True):
    xlabel = "epoch" if name == "ReduceLROnPlateau" else "step"
    plot_lr(traces[name], ax=ax, title=name, xlabel=xlabel, ylabel="lr")
fig.suptitle(f"Learning-rate schedules, eta_0 = {LR}")
plt.show()

# %% [markdown]
# Read across: stairs (StepLR, MultiStepLR), smooth decays (exponential, cosine),
# resets (warm restarts), a ramp up first (warm-up, one cycle) and the data-driven
# plateau cuts.
#
# Finally, the same MLP, data order and initial weights trained for `NUM_EPOCHS`
# epochs under three schedules, with `helpers.fit` (which steps the scheduler once
# after each epoch, after the optimizer). For the scheduled runs we first assert that
# `lr_trace` predicts the rates training will use.

# %%
run_schedules = {
    "constant": None,
    f"StepLR(step_size={STEP_SIZE})": lambda opt: lr_scheduler.StepLR(
        opt, step_size=STEP_SIZE, gamma=GAMMA),
    "warm-up + cosine": lambda opt: warmup_cosine(opt, total=NUM_EPOCHS),
}
histories, spreads = {}, {}
for name, make_scheduler in run_schedules.items():
    generator = set_seed(SEED)
    train_loader, test_loader = digits_loaders(BATCH_SIZE, size=IMAGE_SIZE,
                                               generator=generator)
    model = make_mlp().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=COMPARE_LR, momentum=MOMENTUM)
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    history = fit(model, train_loader, test_loader, loss_fn, optimizer, NUM_EPOCHS,
                  device, scheduler=scheduler)
    expected = (lr_trace(make_scheduler, NUM_EPOCHS, lr=COMPARE_LR) if make_scheduler
                else [COMPARE_LR] * NUM_EPOCHS)
    torch.testing.assert_close(history["lr"], expected)
    histories[name] = history
    loss, test_loss, acc = (history[k][-1] for k in ("train_loss", "test_loss",
                                                     "test_acc"))
    spreads[name] = torch.tensor(history["test_loss"][-LOG_EVERY:]).std().item()
    print(f"{name:<20} | loss ≈{loss:.4f} | test loss ≈{test_loss:.4f} | "
          f"acc ≈{acc:.2%} | test-loss std, last {LOG_EVERY} epochs "
          f"≈{spreads[name]:.4f}")
constant_spread = spreads.pop("constant")
assert all(constant_spread > spread for spread in spreads.values())
print(f"the constant rate's test loss varies most over the last {LOG_EVERY} epochs: "
      "True")

# %%
fig, (ax_loss, ax_lr) = grid_axes(2, ncols=2)
epochs = range(1, NUM_EPOCHS + 1)
plot_losses({name: h["test_loss"] for name, h in histories.items()}, x=epochs,
            ax=ax_loss, title="Test loss", log_y=True)
plot_lr({name: h["lr"] for name, h in histories.items()}, x=epochs, ax=ax_lr,
        title="Learning rate used (colours as left)")
ax_lr.get_legend().remove()
plt.show()

# %% [markdown]
# Held at `COMPARE_LR`, the rate keeps the test loss jumping to the end: over the last
# `LOG_EVERY` epochs it varies more than under either decaying schedule (the `assert`
# checks it on every run). That needs the decaying rates to be down by then:
# `check_params` asks for `NUM_EPOCHS` at least `LOG_EVERY` more than `STEP_SIZE` and
# `WARMUP_STEPS`, so that `StepLR` has decayed and the warm-up is over before the
# last `LOG_EVERY` epochs. With a `GAMMA` close to 1, `StepLR` hardly lowers the
# rate, and the `assert` may fail. Both decaying schedules settle once their rate
# has come down: settling the weights late in training is what a decaying schedule
# is for. Which run ends with the lowest test loss or the best accuracy, though,
# changes with the seed and even with the machine (the numbers after `≈`): one short
# run on the small digits set does not rank the schedules.
#
# ## Summary
# - A schedule is a function $t \mapsto \eta_t$; each one here (constant,
#   `ConstantLR`, hand-written, `StepLR`, `MultiStepLR`, `ExponentialLR`, `LambdaLR`,
#   cosine, warm restarts, plateau, warm-up + cosine, one cycle) was written as a
#   formula, coded from scratch and matched to PyTorch's rates at every step with
#   `lr_trace` and `torch.testing.assert_close`.
# - Run as written, the note's snippets meet undefined names (`optim` and
#   `lr_scheduler` twice each, `lr_init`, `net`, `loss_function`, `gamma`, `config`,
#   `epochs`) and three `SyntaxError`s (`for epoch:`, the `∗`
#   formula, `lambda = ...`); its `StepLR` never fires in its own 100-epoch run, its
#   "减小学习率gamma倍" is a multiplication by `gamma`, and its plateau rule leaves out the
#   patience.
# - Call `optimizer.step()` then `scheduler.step()`; the other order warns and skips
#   $\eta_0$. Read the rate with `get_last_lr()` (one per group, equal to
#   `param_groups`), not `get_lr()`; a list of `lr_lambda`s gives each parameter group
#   its own factor.
# - `ReduceLROnPlateau.step(metric)` needs the metric and cuts the rate only after
#   more than `patience` epochs without improvement; our rule replays its cuts.
# - On the digits, decaying the rate settles the test loss that a constant rate
#   leaves noisy.
#
# ## Exercises
# 1. Set `ETA_MIN = 0.01` and rerun: which closed forms change, and do the asserts
#    still hold?
# 2. Give `ReduceLROnPlateau` `cooldown=2` and extend `plateau_rule` to match it.
# 3. Trace `OneCycleLR` with `three_phase=True` and write its closed form.
# 4. Add `PolynomialLR(power=2)` to the checks: write $\eta_t$ and assert it.
# 5. Train the MLP for two epochs with `OneCycleLR` stepped once per **batch** (write
#    the loop, since `fit` steps once per epoch), and assert that the rates it used
#    are `lr_trace`'s for `total_steps` = epochs × batches per epoch.
#
# ## Further reading
# - [How to adjust the learning rate](
#   https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate)
# - [`torch.optim.lr_scheduler` API](
#   https://pytorch.org/docs/stable/optim.html#module-torch.optim.lr_scheduler)
# - [`LambdaLR`](
#   https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.LambdaLR.html)
# - [`ReduceLROnPlateau`](
#   https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.ReduceLROnPlateau.html)
# - [`OneCycleLR`](
#   https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.OneCycleLR.html)
#
# ## Solutions
#
# ### Exercise 1
# The closed forms that read `ETA_MIN`, on a local value:

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 1: eta_min = 0.01 changes the two cosine closed forms, which still hold
eta_min = 0.01
cosines = {
    "CosineAnnealingLR": (lambda t: cosine_lr(t, eta_min=eta_min),
                          lambda opt: lr_scheduler.CosineAnnealingLR(
                              opt, T_MAX, eta_min=eta_min)),
    "CosineAnnealingWarmRestarts": (
        lambda t: warm_restarts_lr(t, eta_min=eta_min),
        lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(
            opt, T_0, T_mult=T_MULT, eta_min=eta_min)),
}
for name, (closed, make) in cosines.items():
    got = lr_trace(make, NUM_STEPS, lr=LR)
    torch.testing.assert_close(got, [closed(t) for t in steps])
    assert min(got) >= eta_min - 1e-12
    print(f"{name}, eta_min={eta_min}: closed form holds, lowest rate {min(got):.4f}")
print("no other schedule here reads ETA_MIN (warm-up + cosine keeps eta_min=0)")

# %% [markdown]
# ### Exercise 2

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 2: cooldown=2, the rule extended, on a flat loss and on the recorded one
def plateau_rule_cooldown(metrics, lr, factor=PLATEAU_FACTOR, patience=PATIENCE,
                          threshold=THRESHOLD, cooldown=0):
    best, num_bad, wait, lrs = math.inf, 0, 0, []
    for metric in metrics:
        lrs.append(lr)
        if metric < best * (1 - threshold):
            best, num_bad = metric, 0
        else:
            num_bad += 1
        if wait > 0:  # in cooldown: bad epochs do not count
            wait, num_bad = wait - 1, 0
        if num_bad > patience:
            lr, num_bad, wait = lr * factor, 0, cooldown
    return lrs


def cut_epochs_of(lrs):
    return [t for t in range(1, len(lrs)) if lrs[t] < lrs[t - 1]]


for metrics in (flat, val_losses):
    got = lr_trace(lambda opt: lr_scheduler.ReduceLROnPlateau(  # noqa: B023
        opt, factor=PLATEAU_FACTOR, patience=PATIENCE, threshold=THRESHOLD,
        cooldown=2), len(metrics), lr=LR, metrics=metrics)
    assert got == plateau_rule_cooldown(metrics, LR, cooldown=2)
    assert plateau_rule_cooldown(metrics, LR) == plateau_rule(metrics, LR)[0]
print("rule with cooldown == ReduceLROnPlateau(cooldown=2) on both losses: True")
print(f"flat loss, rate cut after epochs {cut_epochs_of(plateau_rule(flat, LR)[0])} "
      f"without cooldown, {cut_epochs_of(plateau_rule_cooldown(flat, LR, cooldown=2))}"
      " with")

# %% [markdown]
# ### Exercise 3

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 3: three_phase=True: up to max_lr, back down to the start, then to the end
def one_cycle_three_phase_lr(t, max_lr=LR, total=NUM_STEPS):
    start = max_lr / DIV_FACTOR
    up, down = PCT_START * total - 1, 2 * PCT_START * total - 2
    if t <= up:
        return cos_anneal(start, max_lr, t / up)
    if t <= down:
        return cos_anneal(max_lr, start, (t - up) / (down - up))
    return cos_anneal(start, start / FINAL_DIV_FACTOR, (t - down) / (total - 1 - down))


got = lr_trace(lambda opt: make_one_cycle(opt, three_phase=True), NUM_STEPS, lr=LR)
torch.testing.assert_close(got, [one_cycle_three_phase_lr(t) for t in steps])
print(f"three-phase closed form == OneCycleLR(three_phase=True) at all {NUM_STEPS} "
      "steps: True")

# %% [markdown]
# ### Exercise 4

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 4: PolynomialLR, eta_t = eta_0 * (1 - min(t, T) / T) ** power
total_iters, power = NUM_STEPS // 2, 2


def polynomial_lr(t):
    return LR * (1 - min(t, total_iters) / total_iters) ** power


got = lr_trace(lambda opt: lr_scheduler.PolynomialLR(
    opt, total_iters=total_iters, power=power), NUM_STEPS, lr=LR)
torch.testing.assert_close(got, [polynomial_lr(t) for t in steps])
print(f"PolynomialLR(total_iters={total_iters}, power={power}): closed form holds; "
      f"rate 0 from step {got.index(0.0)}")

# %% [markdown]
# ### Exercise 5

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 5: OneCycleLR stepped once per batch, for two epochs
num_epochs = 2
one_cycle_model = make_mlp().to(device)
one_cycle_opt = torch.optim.SGD(one_cycle_model.parameters(), lr=COMPARE_LR,
                                momentum=MOMENTUM)
total = num_epochs * len(train_loader)
one_cycle = make_one_cycle(one_cycle_opt, max_lr=COMPARE_LR, total=total)
used = []
for _ in range(num_epochs):
    one_cycle_model.train()
    for xb, yb in train_loader:
        xb, yb = xb.to(device), yb.to(device)
        used.append(one_cycle_opt.param_groups[0]["lr"])
        batch_loss = loss_fn(one_cycle_model(xb), yb)
        one_cycle_opt.zero_grad()
        batch_loss.backward()
        one_cycle_opt.step()
        one_cycle.step()  # once per batch, after the optimizer
torch.testing.assert_close(used, lr_trace(
    lambda opt: make_one_cycle(opt, max_lr=COMPARE_LR, total=total), total,
    lr=COMPARE_LR))
one_cycle_loss, one_cycle_acc = evaluate(one_cycle_model, test_loader, loss_fn, device)
print(f"{total} batch steps, rates == lr_trace's: True | "
      f"test loss ≈{one_cycle_loss:.4f} | acc ≈{one_cycle_acc:.2%}")
