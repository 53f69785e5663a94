# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · Optimizers · 选择optimizer
#
# [← 07 Learning-Rate Schedules](07_lr_schedulers.ipynb) | [Contents](../README.md) |
# [09 nn.Module Internals →](09_module_internals.ipynb)

# %% [markdown]
# **What you will learn**
# - Implement the update rules of SGD, momentum (with dampening and Nesterov),
#   Adagrad, RMSprop, Adam and AdamW from PyTorch's documented algorithms
# - Verify each rule against `torch.optim`, parameter by parameter, at every step
# - Compare the note's formulas (EMA momentum, RMSprop's `eps` inside the root, Adam
#   without bias correction) with PyTorch's, in numbers, and translate learning rates
#   between them
# - Plot the optimizers' paths on the Rosenbrock function and their loss curves on
#   the digits
# - Choose a starting optimizer and learning rate from a small sweep, and use the
#   optimizer's plumbing: param groups, `state_dict()` and gradient clipping
#
# **Prerequisites**: [02 MLP training](02_mlp_training.ipynb) (what `optimizer.step()`
# does in a loop) and [07 Learning-rate schedules](07_lr_schedulers.ipynb);
# runs on CPU in about 19 s; uses CUDA when present.
#
# The note's section 2.2 names five optimizers, gives a formula for three of them and a
# one-line constructor for each. An optimizer is an update rule: given the gradient
# $g_t$ and some state, move the parameters $\theta$. We write each rule as PyTorch's
# documentation states it, code it in a few lines and assert that it reproduces
# `torch.optim` exactly. Where the note's formula differs from PyTorch's, we measure
# the difference.

# %% [markdown]
# ## 0. 准备 · Setup

# %%
import copy
import io
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from helpers import (
    Device,
    Float,
    Int,
    OneOf,
    Seed,
    Seq,
    Table,
    check_params,
    digits_loaders,
    fit,
    get_device,
    grid_axes,
    plot_losses,
    set_seed,
)

# %% tags=["parameters"]
SEED = 0
DEVICE = "auto"
NUM_THREADS = 1  # CPU threads: small matrices; 1 beat 2 on 2 cores
NUM_CHECK_STEPS = 100  # steps compared with torch.optim, on the random problem
ATOL = 1e-12  # largest difference allowed per step (float64)
NUM_SAMPLES, IN_FEATURES, NUM_OUTPUTS = 32, 5, 3  # the random problem's size
LR = 0.01
MOMENTUM = 0.9
NOTE_MOMENTUM = 0.8  # the note's SGD(momentum=0.8)
WEIGHT_DECAY = 0.1
LR_DECAY = 0.01  # Adagrad
INITIAL_ACCUMULATOR = 0.1  # Adagrad
NOTE_ALPHA = 0.9  # the note's RMSprop(alpha=0.9)
NOTE_BETAS = (0.9, 0.99)  # the note's Adam(betas=(0.9, 0.99))
NUM_MOMENTUM_STEPS = 100  # steps with a constant gradient: momentum
NUM_ADAM_STEPS = 1000  # and Adam
START = (-1.2, 1.0)  # Rosenbrock starting point
NUM_PATH_STEPS = 500
PATH_LR_GRID = (1e-3, 2e-3, 3e-3, 4e-3)  # tried for SGD and momentum on Rosenbrock
PATH_LRS = {"SGD": 2e-3, "momentum": 2e-3, "Adagrad": 0.5, "RMSprop": 0.02,
            "Adam": 0.1, "AdamW": 0.1}
NUM_EPOCHS = 10
BATCH_SIZE = 64
IMAGE_SIZE = 8
HIDDEN = 64
NUM_CLASSES = 10
TRAIN_LRS = {"SGD": 0.1, "momentum": 0.1, "Adagrad": 0.05, "RMSprop": 3e-3,
             "Adam": 1e-2, "AdamW": 1e-2}
SWEEP_LRS = (1e-3, 1e-2, 1e-1)  # Adam and momentum on the digits, increasing
SWEEP_EPOCHS = 5  # epochs of each sweep run (section 9)
MAX_NORM = 0.1  # gradient clipping threshold, below the first norm (section 10.3)

# %%
OPTIMIZERS = ("SGD", "momentum", "Adagrad", "RMSprop", "Adam", "AdamW")
check_params(
    globals(),
    SEED=Seed(), DEVICE=Device(), NUM_THREADS=Int(min=1),
    NUM_CHECK_STEPS=Int(min=1), ATOL=Float(gt=0), NUM_SAMPLES=Int(min=1),
    IN_FEATURES=Int(min=1), NUM_OUTPUTS=Int(min=2), LR=Float(gt=0),
    MOMENTUM=Float(ge=0, lt=1), NOTE_MOMENTUM=Float(ge=0, lt=1),
    WEIGHT_DECAY=Float(ge=0), LR_DECAY=Float(ge=0), INITIAL_ACCUMULATOR=Float(ge=0),
    NOTE_ALPHA=Float(ge=0, lt=1), NOTE_BETAS=Seq(Float(ge=0, lt=1), length=2),
    NUM_MOMENTUM_STEPS=Int(min=50), NUM_ADAM_STEPS=Int(min=1000),
    START=Seq(Float(), length=2), NUM_PATH_STEPS=Int(min=1),
    PATH_LR_GRID=Seq(Float(gt=0), increasing=True),
    PATH_LRS=Table(OPTIMIZERS, Float(gt=0)), NUM_EPOCHS=Int(min=1),
    BATCH_SIZE=Int(min=1), IMAGE_SIZE=Int(min=8), HIDDEN=Int(min=1),
    NUM_CLASSES=OneOf(10), TRAIN_LRS=Table(OPTIMIZERS, Float(gt=0)),
    SWEEP_LRS=Seq(Float(gt=0), increasing=True),
    SWEEP_EPOCHS=Int(min=1, max="NUM_EPOCHS"), MAX_NORM=Float(gt=0),
)

# %%
# NBVAL_IGNORE_OUTPUT
# not compared: versions and the device differ between installs
generator = set_seed(SEED)
device = get_device(DEVICE)
torch.set_num_threads(NUM_THREADS)
print(f"torch {torch.__version__} | device {device}")

# %% [markdown]
# ## 1. 对照检查 · A harness: our rule against torch.optim
#
# The test problem is a linear softmax classifier on random data, in `float64` so
# that any difference between two rules is visible above rounding. Two parameter
# tensors (a weight matrix and a bias) make sure per-tensor state is handled.

# %%
X = torch.randn(NUM_SAMPLES, IN_FEATURES, dtype=torch.float64, generator=generator)
y = torch.randint(NUM_OUTPUTS, (NUM_SAMPLES,), generator=generator)
W0 = torch.randn(NUM_OUTPUTS, IN_FEATURES, dtype=torch.float64, generator=generator)
params0 = [W0, torch.zeros(NUM_OUTPUTS, dtype=torch.float64)]  # [W, b]


def loss_of(params):
    W, b = params
    return F.cross_entropy(X @ W.T + b, y)


print(f"X {tuple(X.shape)} | y {tuple(y.shape)} | W {tuple(params0[0].shape)} | "
      f"b {tuple(params0[1].shape)} | initial loss {loss_of(params0).item():.4f}")

# %% [markdown]
# `check_rule` runs the `torch.optim` optimizer for `NUM_CHECK_STEPS` steps. Before
# each step it copies the current parameters; after PyTorch's step it applies our
# `step(params, grads, state, t, **hyper)`, with the same gradients and
# hyper-parameters and our own state, to the copy. The two results must agree to
# `float64` rounding. (Starting each step from PyTorch's parameters keeps rounding
# differences from compounding: an adaptive method turns a near-zero gradient into a
# full-size step, so two runs that differ only in rounding can drift apart.)

# %%
num_checked = 0


def check_rule(name, torch_optimizer, my_step, **hyper):
    """Assert that ``my_step`` makes ``torch_optimizer``'s update at every step."""
    global num_checked
    theirs = [p.clone().requires_grad_() for p in params0]
    optimizer, state = torch_optimizer(theirs, **hyper), {}
    for t in range(1, NUM_CHECK_STEPS + 1):
        ours = [p.detach().clone() for p in theirs]  # the same starting point
        optimizer.zero_grad()
        loss_of(theirs).backward()
        grads = [p.grad.clone() for p in theirs]
        optimizer.step()
        with torch.no_grad():
            my_step(ours, grads, state, t, **hyper)
            for a, b in zip(ours, theirs, strict=True):
                torch.testing.assert_close(a, b, rtol=0, atol=ATOL)
    num_checked += 1
    print(f"{name:<34} {NUM_CHECK_STEPS} steps match (|diff| <= {ATOL:.0e}) | "
          f"loss {loss_of(params0).item():.4f} -> {loss_of(theirs).item():.4f}")

# %% [markdown]
# ## 2. SGD
#
# PyTorch's SGD with weight decay $\lambda$ (an L2 term added to the gradient),
# momentum $\mu$, dampening $\tau$ and optional Nesterov:
# $$g_t \leftarrow g_t + \lambda\theta_{t-1},\qquad
# b_t = \begin{cases} g_t & t = 1\\ \mu b_{t-1} + (1-\tau)\,g_t & t > 1\end{cases}$$
# $$\theta_t = \theta_{t-1} - \gamma\,d_t,\qquad
# d_t = \begin{cases} g_t & \mu = 0\\ g_t + \mu b_t & \text{Nesterov}
# \\ b_t & \text{otherwise}\end{cases}$$
# Note the first step: the buffer starts as $g_1$ itself, not $(1-\tau)g_1$.

# %%
def sgd_step(params, grads, state, t, *, lr, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False):
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        g = g + weight_decay * p
        if momentum != 0:
            buf = g.clone() if t == 1 else momentum * state[i] + (1 - dampening) * g
            state[i] = buf
            g = g + momentum * buf if nesterov else buf
        p -= lr * g

# %%
check_rule("SGD", torch.optim.SGD, sgd_step, lr=LR)
check_rule("SGD, weight decay", torch.optim.SGD, sgd_step, lr=LR,
           weight_decay=WEIGHT_DECAY)

# %% [markdown]
# Plain SGD is $\theta \leftarrow \theta - \gamma g$, and the note's
# `torch.optim.SGD(model.parameters(), lr=LR)` builds exactly this. The note gives
# one such constructor line per optimizer; we run all five as written, first with only
# `torch` defined, then with the names they use bound to a small model and to `LR`:

# %%
note_lines = {
    "2.2.1": "opt_SGD = torch.optim.SGD(model.parameters(), lr=LR)",
    "2.2.2": "opt_Momentum = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.8)",
    "2.2.3": "torch.optim.Adagrad(net_Adagrad.parameters(),lr=Learning_rate)",
    "2.2.4": "opt_RMSprop = torch.optim.RMSprop(net_RMSprop.parameters(), lr=LR, "
             "alpha=0.9)",
    "2.2.5": "opt_Adam = torch.optim.Adam(net_Adam.parameters(), lr=LR, "
             "betas=(0.9, 0.99))",
}
for section, line in note_lines.items():
    try:
        exec(line, {"torch": torch})
    except NameError as err:
        print(f"{section}: NameError: {err}")

# %%
net = nn.Linear(IN_FEATURES, NUM_OUTPUTS)
namespace = {"torch": torch, "LR": LR, "Learning_rate": LR, "model": net,
             "net_Adagrad": net, "net_RMSprop": net, "net_Adam": net}
for section, line in note_lines.items():
    exec(f"result = {line.split(' = ', 1)[-1]}", namespace)
    optimizer = namespace["result"]
    hyper = {k: optimizer.defaults[k] for k in ("momentum", "alpha", "betas")
             if k in optimizer.defaults}
    print(f"{section}: {type(optimizer).__name__:<8} lr {optimizer.defaults['lr']} "
          f"{hyper}")

# %% [markdown]
# As written, every line stops at a `NameError`: the note defines none of `model`,
# `LR`, `net_Adagrad`, `Learning_rate`, `net_RMSprop` or `net_Adam` in this section.
# With them bound, all five construct the optimizer the note means, with its
# `momentum=0.8`, `alpha=0.9` and `betas=(0.9, 0.99)`. Sections 3 to 6 check what
# each of them computes.
#
# ## 3. 动量法 · Momentum
#
# ### 3.1 PyTorch's momentum

# %%
check_rule("SGD, momentum", torch.optim.SGD, sgd_step, lr=LR, momentum=MOMENTUM)
check_rule("SGD, momentum + dampening", torch.optim.SGD, sgd_step, lr=LR,
           momentum=MOMENTUM, dampening=MOMENTUM)
check_rule("SGD, Nesterov + weight decay", torch.optim.SGD, sgd_step, lr=LR,
           momentum=MOMENTUM, nesterov=True, weight_decay=WEIGHT_DECAY)

# %% [markdown]
# ### 3.2 The note's momentum is an average; PyTorch's is a sum
#
# The note writes momentum as an exponential moving average (EMA) of the gradients:
# $v_t = \beta v_{t-1} + (1-\beta)\,g_t$, $\theta_t = \theta_{t-1} - \alpha v_t$,
# (taking $v_0 = 0$). PyTorch's buffer has no $(1-\beta)$: $b_t = \mu b_{t-1} + g_t$.
# Unrolled, $b_t = \sum_k \mu^{t-k} g_k$ and $v_t = (1-\beta)\sum_k \beta^{t-k} g_k$,
# so $v_t = (1-\beta)\,b_t$ exactly when $\mu=\beta$: **the note's momentum with
# learning rate $\alpha$ is PyTorch's with learning rate $\alpha(1-\beta)$**. We code
# the note's rule and let the harness check that claim.

# %%
def note_momentum_step(params, grads, state, t, *, lr, momentum):
    """The note's rule, v = beta v + (1 - beta) g, theta -= alpha v (v_0 = 0)."""
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        state[i] = momentum * state.get(i, torch.zeros_like(p)) + (1 - momentum) * g
        p -= lr * state[i]


def torch_sgd_scaled(params, *, lr, momentum):
    return torch.optim.SGD(params, lr=lr * (1 - momentum), momentum=momentum)


check_rule("note momentum == SGD(lr*(1-beta))", torch_sgd_scaled, note_momentum_step,
           lr=LR, momentum=NOTE_MOMENTUM)

# %% [markdown]
# The equivalence holds at every step. With the **same** number in `lr`, the two
# conventions differ by the factor $1/(1-\beta)$ at every step, the first included. A
# constant gradient $g=1$ makes it visible: we step a one-element parameter on the
# loss $\theta$ (gradient 1) and record how far each step moves it, in units of `lr`.

# %%
def step_sizes(make_optimizer, num_steps):
    """Distance moved at each step, in units of lr, under a constant gradient 1."""
    theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer, sizes = make_optimizer([theta]), []
    for _ in range(num_steps):
        before = theta.item()
        optimizer.zero_grad()
        theta.sum().backward()
        optimizer.step()
        sizes.append((before - theta.item()) / optimizer.param_groups[0]["lr"])
    return np.array(sizes)

# %%
beta = NOTE_MOMENTUM
t_axis = np.arange(1, NUM_MOMENTUM_STEPS + 1)
ema = 1 - beta**t_axis  # the note's v_t for g = 1
pytorch_momentum = step_sizes(lambda p: torch.optim.SGD(p, lr=LR, momentum=beta),
                              NUM_MOMENTUM_STEPS)
dampened = step_sizes(lambda p: torch.optim.SGD(p, lr=LR, momentum=beta,
                                                dampening=beta), NUM_MOMENTUM_STEPS)
np.testing.assert_allclose(pytorch_momentum, (1 - beta**t_axis) / (1 - beta),
                           rtol=1e-9)
np.testing.assert_allclose(dampened, np.ones_like(ema), rtol=1e-9)
np.testing.assert_allclose(pytorch_momentum, ema / (1 - beta), rtol=1e-9)
for k in (1, 2, 5, 50):
    print(f"step {k:>3d} | note EMA {ema[k - 1]:.4f} | PyTorch "
          f"{pytorch_momentum[k - 1]:.4f} | dampening=beta {dampened[k - 1]:.4f} x lr")

# %%
ax = plot_losses({"note (EMA), v_0 = 0": ema, "PyTorch momentum": pytorch_momentum,
                  "PyTorch, dampening = momentum": dampened}, x=t_axis,
                 title=f"Step size under a constant gradient, beta = {beta}",
                 xlabel="step", ylabel="step / lr")
ax.set_xscale("log")
plt.show()

# %% [markdown]
# PyTorch's momentum moves $1/(1-\beta) = 5$ times further than the note's EMA at
# every step, from the first on (asserted). `dampening=beta` scales the new gradient by
# $(1-\beta)$ like the EMA, but its buffer starts at $g_1$ instead of 0, so it moves
# a full `lr` from the first step (the EMA's start is biased towards 0, like Adam's
# moments before bias correction in section 6).
#
# > **Erratum (勘误)** — the note's momentum, $v_{dW}=βv_{dw}+(1−β)dW$ (an EMA), is a
# > valid convention (deeplearning.ai's), but not what `torch.optim.SGD` computes,
# > and the note sets it beside `torch.optim.SGD(..., momentum=0.8)` as if it were.
# > PyTorch computes $b_t = \mu b_{t-1} + g_t$ (no $1-\beta$, `dampening=0` by
# > default), which is the note's rule with the learning rate multiplied by
# > $1/(1-\beta)$; the harness check above shows the exact equivalence,
# > lr$_\text{PyTorch}$ = $\alpha(1-\beta)$. With the note's $\beta=0.8$, the same
# > `lr` moves 5 times further in PyTorch. Setting `dampening=beta` gives the EMA's
# > recursion but not its start ($b_1 = g_1$). The formula also has a stray
# > lower-case $v_{dw}$ for $v_{dW}$, and the text "第 tt 步" for step $t$.
#
# ## 4. Adagrad
#
# The note's Adagrad lines do not compile:

# %%
note_adagrad = ("cache += dx**2\n"
                "x += \u2010 learning_rate * dx / (np.sqrt(cache) + eps)\n")
try:
    compile(note_adagrad, "<note 2.2.3>", "exec")
except SyntaxError as err:
    print(f"{type(err).__name__}: {err.msg} (line {err.lineno})")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `x += ‐ learning_rate * dx / ...` with a
# > Unicode hyphen (U+2010) instead of the minus sign `-`, a `SyntaxError` (cell
# > above). With `-` the two lines are Adagrad, and PyTorch's default is
# > `eps=1e-10`.
#
# With the hyphen replaced by `-`, the note's two numpy lines run. We let them update
# the weight matrix `x` (the bias stays at 0), starting each step from
# `torch.optim.Adagrad`'s weights and gradient as the harness does, with `cache`
# starting at 0 and `eps` set to PyTorch's default, and record the effective rate
# `learning_rate / (np.sqrt(cache) + eps)` of every element:

# %%
W = params0[0].clone().requires_grad_()
optimizer = torch.optim.Adagrad([W], lr=LR)
namespace = {"np": np, "cache": 0.0, "learning_rate": LR,
             "eps": optimizer.defaults["eps"]}
rates = []
for _ in range(NUM_CHECK_STEPS):
    optimizer.zero_grad()
    loss_of([W, params0[1]]).backward()
    namespace["x"], namespace["dx"] = W.detach().numpy().copy(), W.grad.numpy().copy()
    exec(note_adagrad.replace("\u2010", "-"), namespace)  # the note's lines, fixed
    optimizer.step()
    torch.testing.assert_close(torch.from_numpy(namespace["x"]), W.detach(), rtol=0,
                               atol=ATOL)
    rates.append(LR / (np.sqrt(namespace["cache"]) + namespace["eps"]))
assert np.all(np.diff(np.array(rates), axis=0) <= 0)
print(f"note's Adagrad == torch.optim.Adagrad at {NUM_CHECK_STEPS} steps: True\n"
      f"effective rate: shape {rates[-1].shape}, one per element of W "
      f"{tuple(W.shape)}\nevery element's effective rate non-increasing: True")

# %% [markdown]
# The fixed snippet is PyTorch's Adagrad with its defaults. The effective rate is one
# number per element, as the note says of Adagrad, RMSprop and Adam (逐参数适应学习率,
# per-parameter adaptive rates), and it never grows: the monotone rate that the note
# calls Adagrad's weakness (单调的学习率). That holds by construction, since `cache`
# only ever adds squares; the assert confirms the code, it discovers nothing.
#
# PyTorch adds a learning-rate decay $\eta$, weight decay and a starting value $\tau$
# for the accumulator:
# $$\tilde\gamma = \frac{\gamma}{1 + (t-1)\eta},\quad g_t \leftarrow g_t +
# \lambda\theta_{t-1},\quad s_t = s_{t-1} + g_t^2\ (s_0=\tau),\quad
# \theta_t = \theta_{t-1} - \tilde\gamma\,\frac{g_t}{\sqrt{s_t}+\epsilon}$$
# Our rule keeps the note's names (`cache`, `dx`, `x`):

# %%
def adagrad_step(params, grads, state, t, *, lr, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
    clr = lr / (1 + (t - 1) * lr_decay)
    for i, (x, dx) in enumerate(zip(params, grads, strict=True)):
        dx = dx + weight_decay * x
        cache = state.get(i, torch.full_like(x, initial_accumulator_value)) + dx**2
        state[i] = cache
        x -= clr * dx / (cache.sqrt() + eps)


check_rule("Adagrad", torch.optim.Adagrad, adagrad_step, lr=LR)
check_rule("Adagrad, lr_decay + init acc + wd", torch.optim.Adagrad, adagrad_step,
           lr=LR, lr_decay=LR_DECAY, initial_accumulator_value=INITIAL_ACCUMULATOR,
           weight_decay=WEIGHT_DECAY)

# %% [markdown]
# Both match. The accumulator only grows, so each parameter's effective rate
# $\gamma/\sqrt{s_t}$ only shrinks: the "too aggressive, stops learning early"
# weakness the note mentions.
#
# ## 5. RMSprop
#
# ### 5.1 PyTorch's rule
#
# RMSprop replaces Adagrad's sum by an EMA with smoothing constant $\alpha$; PyTorch
# adds weight decay, optional centering (subtract the squared mean gradient) and
# optional momentum $\mu$:
# $$v_t = \alpha v_{t-1} + (1-\alpha)g_t^2,\quad
# \tilde v_t = v_t - \bar g_t^{\,2}\ \text{(centered)},\quad
# d_t = \frac{g_t}{\sqrt{\tilde v_t}+\epsilon},\quad
# b_t = \mu b_{t-1} + d_t,\quad \theta_t = \theta_{t-1} - \gamma\,b_t$$
# with $\bar g_t = \alpha\bar g_{t-1} + (1-\alpha)g_t$ and $b_t = d_t$ when $\mu=0$.

# %%
def rmsprop_step(params, grads, state, t, *, lr, alpha=0.99, eps=1e-8,
                 weight_decay=0.0, momentum=0.0, centered=False):
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        g = g + weight_decay * p
        zeros = torch.zeros_like(p)
        v, g_avg, buf = state.get(i, (zeros, zeros, zeros))
        v = alpha * v + (1 - alpha) * g**2
        v_tilde = v
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g
            v_tilde = v - g_avg**2
        d = g / (v_tilde.sqrt() + eps)
        buf = momentum * buf + d if momentum > 0 else d
        state[i] = (v, g_avg, buf)
        p -= lr * buf


check_rule("RMSprop", torch.optim.RMSprop, rmsprop_step, lr=LR)
check_rule("RMSprop, centered + momentum + wd", torch.optim.RMSprop, rmsprop_step,
           lr=LR, centered=True, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)

# %% [markdown]
# ### 5.2 The note's formula: squares, $\epsilon$ and $\alpha$
#
# The note's line (1) writes ${dW}^2 = {dW_{(1)}}^2 + \dots + {dW_{(n)}}^2$, a sum
# that would make one number per weight matrix. PyTorch keeps one average per
# *element*, the element-wise square:

# %%
optimizer = torch.optim.RMSprop([p.clone().requires_grad_() for p in params0], lr=LR)
loss_of(optimizer.param_groups[0]["params"]).backward()
optimizer.step()
for p in optimizer.param_groups[0]["params"]:
    square_avg = optimizer.state[p]["square_avg"]
    assert square_avg.shape == p.shape
    print(f"param {tuple(p.shape)} -> square_avg {tuple(square_avg.shape)}")

# %% [markdown]
# The note also puts $\epsilon$ **inside** the root,
# $\frac{dW}{\sqrt{s_{dW}+\epsilon}}$; PyTorch adds it **outside**,
# $\frac{g}{\sqrt{v}+\epsilon}$. We take one RMSprop step
# from zero state with gradients of decreasing size, PyTorch's optimizer against the
# note's formula, both with PyTorch's $\epsilon = 10^{-8}$ and $\alpha = 0.99$:

# %%
defaults = torch.optim.RMSprop([torch.zeros(1)]).defaults
alpha, eps = defaults["alpha"], defaults["eps"]
for g in (1.0, 1e-4, 1e-6):
    theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.RMSprop([theta], lr=LR)
    theta.grad = torch.full_like(theta, g)
    optimizer.step()
    pytorch_step = -theta.item() / LR
    note_step = g / math.sqrt((1 - alpha) * g**2 + eps)
    assert math.isclose(pytorch_step, g / (math.sqrt((1 - alpha) * g**2) + eps))
    print(f"g = {g:.0e} | PyTorch step {pytorch_step:7.4f} lr | "
          f"note {note_step:7.4f} lr")

# %% [markdown]
# For ordinary gradients the placement does not matter (both 10 lr at $g=1$). For
# small ones it does: $\epsilon$ inside the root acts like a floor of
# $\sqrt{\epsilon} = 10^{-4}$ on the denominator, so at $g=10^{-6}$ the note's step is
# about 900 times smaller than PyTorch's.
#
# > **Erratum (勘误)** — the note's $W=W−α\frac{dW}{\sqrt{s_{dW}+ε}}$, with $\epsilon$
# > inside the root, is a valid convention (TensorFlow's: `tf.raw_ops.ApplyRMSProp`
# > documents `lr * grad / sqrt(ms + epsilon)`), but not what the
# > `torch.optim.RMSprop` the note calls computes: PyTorch puts $\epsilon$ outside,
# > $\frac{g}{\sqrt{v}+\epsilon}$ (as Adam does, and the note's own Adam line), and
# > the two differ greatly once $\sqrt{v}$ falls well below $\sqrt\epsilon$ (cell
# > above: 0.0100 lr vs 9.0909 lr at $g=10^{-6}$). Two genuine errors besides: the
# > note defined ${dW}^2$ as a sum of squares, ${dW_{(1)}}^2+...+{dW_{(n)}}^2$,
# > while $g^2$ is element-wise, one running average per parameter element (the
# > `square_avg` shapes above); and its line (2), $s_{dW}=βs_{dw}+(1−β){dW}^2$, has
# > a stray lower-case $s_{dw}$ for $s_{dW}$.
#
# The note's snippet passes `alpha=0.9`; PyTorch's default is `alpha=0.99`. An EMA
# with constant $\alpha$ gives weight $\alpha^k(1-\alpha)$ to
# the gradient $k$ steps back; its memory is about $1/(1-\alpha)$ steps:

# %%
for a in (NOTE_ALPHA, alpha):
    window = round(1 / (1 - a))
    share = 1 - a**window  # weight of the last `window` squared gradients
    print(f"alpha = {a}: memory ~{window} steps, which carry {share:.1%} of the "
          "weight")
assert alpha == 0.99

# %% [markdown]
# The note's `alpha=0.9` is a legitimate choice, not a mistake: it averages the
# squared gradients over ~10 steps instead of the default's ~100, so its
# per-parameter scaling reacts faster and is noisier.
#
# ## 6. Adam
#
# ### 6.1 PyTorch's rule, with bias correction
#
# As the note says, Adam combines the two ideas before it: an EMA of the gradient
# ($m$, rate $\beta_1$, momentum's average) and of its square ($v$, rate $\beta_2$,
# RMSprop's), both starting at zero; it divides each by $1-\beta^t$ to undo the pull
# towards that zero start:
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1)g_t,\quad v_t = \beta_2 v_{t-1} +
# (1-\beta_2)g_t^2,\quad \hat m_t = \frac{m_t}{1-\beta_1^t},\quad
# \hat v_t = \frac{v_t}{1-\beta_2^t},\quad \theta_t = \theta_{t-1} -
# \gamma\frac{\hat m_t}{\sqrt{\hat v_t}+\epsilon}$$
# Weight decay either enters the gradient, $g_t \leftarrow g_t + \lambda\theta_{t-1}$
# (`Adam`), or is applied to the weights directly, $\theta \leftarrow \theta(1 -
# \gamma\lambda)$ before the step (`AdamW`, "decoupled").

# %%
def adam_step(params, grads, state, t, *, lr, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, decoupled=False, bias_correction=True):
    beta1, beta2 = betas
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        if decoupled:
            p *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * p
        m, v = state.get(i, (torch.zeros_like(p), torch.zeros_like(p)))
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        state[i] = (m, v)
        if bias_correction:
            m, v = m / (1 - beta1**t), v / (1 - beta2**t)
        p -= lr * m / (v.sqrt() + eps)


def adamw_step(params, grads, state, t, *, lr, weight_decay=1e-2, **hyper):
    adam_step(params, grads, state, t, lr=lr, weight_decay=weight_decay,
              decoupled=True, **hyper)

# %%
check_rule("Adam", torch.optim.Adam, adam_step, lr=LR)
check_rule("Adam, L2 weight decay", torch.optim.Adam, adam_step, lr=LR,
           weight_decay=WEIGHT_DECAY)
check_rule("AdamW (default weight_decay)", torch.optim.AdamW, adamw_step, lr=LR)

# %% [markdown]
# All three match, and `adamw_step`'s default `weight_decay=1e-2` is the one
# `torch.optim.AdamW` uses. The state is what the note's line (1) initialises: one
# $m$ and one $v$ per parameter tensor (plus a step counter for the bias correction).
# `torch.optim.Adam` creates them at the first step, as zeros: the state is empty
# before it, and after it $m = (1-\beta_1)g$ and $v = (1-\beta_2)g^2$, which is what
# one EMA step from zero gives:

# %%
optimizer = torch.optim.Adam([p.clone().requires_grad_() for p in params0], lr=LR)
print(f"state before the first step: {dict(optimizer.state)}")
loss_of(optimizer.param_groups[0]["params"]).backward()
optimizer.step()
beta1, beta2 = optimizer.defaults["betas"]
for p in optimizer.param_groups[0]["params"]:
    state = optimizer.state[p]
    torch.testing.assert_close(state["exp_avg"], (1 - beta1) * p.grad)
    torch.testing.assert_close(state["exp_avg_sq"], (1 - beta2) * p.grad**2)
    print({k: tuple(v.shape) for k, v in state.items()},
          f"| step {int(state['step'])}")
print("after it: exp_avg == (1 - beta1) g, exp_avg_sq == (1 - beta2) g**2: True")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote $s_{dW}=s_{dW}=v_{dW}=v_{dW}=0$; it means
# > $s_{dW}=s_{db}=v_{dW}=v_{db}=0$, i.e. both moments of both parameters start at
# > zero (cell above: `exp_avg` and `exp_avg_sq` per tensor). Its formulas (2)-(5)
# > also use one $\beta$ for both moments, while Adam has two, $\beta_1$ for $v$ and
# > $\beta_2$ for $s$, as the note's own `betas=(0.9, 0.99)` shows; and lines (2) and
# > (4) have stray lower-case $v_{dw}$, $s_{dw}$ for $v_{dW}$, $s_{dW}$.
#
# ### 6.2 Without bias correction
#
# The note's Adam has no $\hat m$, $\hat v$. Under a constant gradient $g$, Adam's
# moments are $m_t = (1-\beta_1^t)g$ and $v_t = (1-\beta_2^t)g^2$, so each step moves
# $$\gamma\,\frac{m_t}{\sqrt{v_t}} = \gamma\,\frac{1-\beta_1^t}{\sqrt{1-\beta_2^t}}
# \quad\text{without correction, and}\quad
# \gamma\,\frac{\hat m_t}{\sqrt{\hat v_t}} = \gamma\quad\text{with it.}$$
# Taken alone, the uncorrected $m$ makes the first steps tiny (factor
# $1-\beta_1 = 0.1$ at $t=1$) and the uncorrected $v$ makes them huge (factor
# $1/\sqrt{1-\beta_2} \approx 31.6$); the note drops both. We measure with PyTorch's
# Adam and with our rule switched to `bias_correction=False` (the note's rule, with
# $\epsilon$ outside the root as its line (6) reads):

# %%
def uncorrected_factor(betas, t):
    beta1, beta2 = betas
    return (1 - beta1**t) / np.sqrt(1 - beta2**t)


class NoteAdam(torch.optim.Optimizer):
    """The note's Adam: adam_step without bias correction, as a torch optimizer."""

    def __init__(self, params, lr, betas):
        super().__init__(params, {"lr": lr, "betas": betas})
        self.t, self.moments = 0, {}

    @torch.no_grad()
    def step(self):
        self.t += 1
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            adam_step(params, [p.grad for p in params], self.moments, self.t,
                      lr=group["lr"], betas=group["betas"], bias_correction=False)

# %%
default_betas = torch.optim.Adam([torch.zeros(1)]).defaults["betas"]
t_axis = np.arange(1, NUM_ADAM_STEPS + 1)
adam_sizes = step_sizes(lambda p: torch.optim.Adam(p, lr=LR), NUM_ADAM_STEPS)
note_sizes = {betas: step_sizes(lambda p, b=betas: NoteAdam(p, lr=LR, betas=b),
                                NUM_ADAM_STEPS)
              for betas in (default_betas, NOTE_BETAS)}
np.testing.assert_allclose(adam_sizes, 1.0, rtol=1e-6)
for betas, sizes in note_sizes.items():
    np.testing.assert_allclose(sizes, uncorrected_factor(betas, t_axis), rtol=1e-6)
print("  t | PyTorch Adam | note, betas (0.9, 0.999) | note, betas (0.9, 0.99)")
for k in (1, 2, 5, 10, 100, 1000):
    print(f"{k:>4d} | {adam_sizes[k - 1]:12.3f} | "
          f"{note_sizes[default_betas][k - 1]:24.3f} | "
          f"{note_sizes[NOTE_BETAS][k - 1]:23.3f}")
long_t = np.arange(1, 10 * NUM_ADAM_STEPS + 1)  # the closed form, checked above
for betas, sizes in note_sizes.items():
    outside = np.nonzero(np.abs(uncorrected_factor(betas, long_t) - 1) > 0.05)[0]
    assert outside[-1] + 1 < len(long_t)
    print(f"note, betas {betas}: largest step {sizes.max():.2f} lr, at step "
          f"{sizes.argmax() + 1}; within 5 % of lr from step {outside[-1] + 2} on")

# %%
ax = plot_losses({"PyTorch Adam (bias-corrected)": adam_sizes,
                  f"note, betas {default_betas}": note_sizes[default_betas],
                  f"note, betas {NOTE_BETAS}": note_sizes[NOTE_BETAS]}, x=t_axis,
                 title="Adam step size under a constant gradient",
                 xlabel="step", ylabel="step / lr")
ax.set_xscale("log")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# With bias correction every step is exactly `lr` in size. Without it, with the
# default $\beta_2 = 0.999$, the steps start at 3.2 `lr`, peak at 6.6 `lr` at step
# 12, are still 1.258 `lr` at step 1000 (table) and stay within 5 % of `lr` only from
# the step printed above on, in the thousands: the note's Adam has no fixed relation
# to `lr` early on. With the note's $\beta_2 = 0.99$ the overshoot peaks near 2 `lr`
# and fades within a few hundred steps (printed above).
#
# > **Erratum (勘误)** — the note wrote Adam's update as
# > $W=W−α\frac{v_{dW}}{\sqrt{s_{dW}}+ε}$, using the raw moments. PyTorch (and the
# > Adam paper) divide them by $1-\beta_1^t$ and $1-\beta_2^t$ first; without that,
# > the first hundreds of steps are up to 6.6 times larger than `lr` with the default
# > betas (table above), so a learning rate tuned with one convention does not
# > transfer to the other until $t$ is in the thousands.
#
# The note's `betas=(0.9, 0.99)` differs from PyTorch's default $(0.9, 0.999)$ in the
# second-moment memory:

# %%
assert default_betas == (0.9, 0.999)
for b2 in (NOTE_BETAS[1], default_betas[1]):
    print(f"beta2 = {b2}: second-moment memory ~{round(1 / (1 - b2))} steps")

# %% [markdown]
# The note's `betas=(0.9, 0.99)` is a valid setting too, not an erratum: both run,
# and its $\beta_2$ averages the squared gradient over ~100 steps instead of the
# default's ~1000.
#
# ### 6.3 AdamW: decoupled weight decay
#
# With `Adam(weight_decay=λ)` the L2 term $\lambda\theta$ is added to the gradient,
# so it goes through the moments and is divided by $\sqrt{\hat v}$ like the gradient:
# a weight whose gradients are large is barely decayed, one whose gradients are small
# is decayed strongly. That is not a plain weight decay. AdamW decouples it: it
# shrinks the weights, $\theta \leftarrow \theta - \gamma\lambda\theta$, and then takes
# the Adam step on the loss gradient alone. One AdamW step by hand:

# %%
theta0 = torch.tensor([0.5, -2.0], dtype=torch.float64)
g = torch.tensor([0.3, 0.1], dtype=torch.float64)
theta = theta0.clone().requires_grad_()
optimizer = torch.optim.AdamW([theta], lr=LR, weight_decay=WEIGHT_DECAY)
theta.grad = g.clone()
optimizer.step()
beta1, beta2 = optimizer.defaults["betas"]
m_hat, v_hat = (1 - beta1) * g / (1 - beta1), (1 - beta2) * g**2 / (1 - beta2)
by_hand = theta0 * (1 - LR * WEIGHT_DECAY) - LR * m_hat / (
    v_hat.sqrt() + optimizer.defaults["eps"])
torch.testing.assert_close(theta.detach(), by_hand, rtol=0, atol=ATOL)
print("AdamW step == shrink by (1 - lr*wd), then Adam step on g: True")

# %% [markdown]
# To see what the coupling does, take two weights with the same value, 1, whose
# gradients are the same random sequence except for scale: the second is 100 times
# smaller. Adam is invariant to that scale, so without decay the two stay equal. We
# run `NUM_CHECK_STEPS` steps with and without `weight_decay` and measure how far the
# decay pulled each weight:

# %%
noise = torch.randn(NUM_CHECK_STEPS, dtype=torch.float64, generator=generator)
scales = torch.tensor([1.0, 1e-2], dtype=torch.float64)


def run_decay(cls, weight_decay):
    theta = torch.ones(2, dtype=torch.float64, requires_grad=True)
    optimizer = cls([theta], lr=LR, weight_decay=weight_decay)
    for n in noise:
        theta.grad = scales * n
        optimizer.step()
    return theta.detach()


pull = {}
for cls in (torch.optim.Adam, torch.optim.AdamW):
    no_decay = run_decay(cls, 0.0)
    # scale-invariant, up to eps / |g| per step (relative)
    torch.testing.assert_close(no_decay[0], no_decay[1], rtol=1e-5, atol=0)
    pull[cls.__name__] = no_decay - run_decay(cls, WEIGHT_DECAY)
    print(f"{cls.__name__:<5}: decay pulled the weights by "
          f"≈{pull[cls.__name__][0]:.3f} (large gradients) and "
          f"≈{pull[cls.__name__][1]:.3f} (small gradients)")
assert pull["Adam"][1] > 3 * pull["Adam"][0]
torch.testing.assert_close(pull["AdamW"][0], pull["AdamW"][1])
print("Adam pulls the small-gradient weight over 3 times further: True\n"
      "AdamW pulls both equally: True")

# %% [markdown]
# Under `Adam` the decay's pull depends on each weight's gradient history (the weight
# with small gradients is pulled several times further); under `AdamW` both are pulled
# equally, by the factor $1-\gamma\lambda$ per step, as SGD's weight decay does. This
# is why AdamW exists: its `weight_decay` regularises every weight alike, whatever the
# adaptive scaling does to the gradient.
#
# In this PyTorch, `Adam(..., decoupled_weight_decay=True)` is `AdamW`:

# %%
def adam_decoupled(params, **hyper):
    return torch.optim.Adam(params, decoupled_weight_decay=True, **hyper)


check_rule("Adam(decoupled_weight_decay=True)", adam_decoupled, adamw_step, lr=LR,
           weight_decay=WEIGHT_DECAY)
print(f"{num_checked} configurations match torch.optim at each of "
      f"{NUM_CHECK_STEPS} steps, |diff| <= {ATOL:.0e}")

# %% [markdown]
# That makes the `num_checked` configurations printed above, covering the rules of
# all six entries of `OPTIMIZERS` (SGD, momentum, Adagrad, RMSprop, Adam, AdamW), each
# equal to `torch.optim` at every step to `ATOL`.
#
# ## 7. 轨迹 · Paths on the Rosenbrock function
#
# The Rosenbrock function $f(x, y) = (1-x)^2 + 100\,(y-x^2)^2$ has its minimum at
# $(1, 1)$ at the bottom of a long, curved, flat-bottomed valley: steep across, almost
# flat along. Each optimizer starts at `START` $=(-1.2, 1)$ and takes
# `NUM_PATH_STEPS` steps with its rate from `PATH_LRS`. For SGD and momentum we first
# try every rate of `PATH_LR_GRID`, one param group per rate (section 10.1) so that
# one optimizer runs them all; a group's gradient depends only on its own point.

# %%
def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


optimizer_kinds = {  # name -> (class, extra hyper-parameters)
    "SGD": (torch.optim.SGD, {}),
    "momentum": (torch.optim.SGD, {"momentum": MOMENTUM}),
    "Adagrad": (torch.optim.Adagrad, {}),
    "RMSprop": (torch.optim.RMSprop, {}),
    "Adam": (torch.optim.Adam, {}),
    "AdamW": (torch.optim.AdamW, {}),
}


def rosenbrock_grid(lrs, **extra):
    """Final f after NUM_PATH_STEPS SGD steps from START, one param group per lr."""
    points = [torch.tensor(START, dtype=torch.float64, requires_grad=True)
              for _ in lrs]
    optimizer = torch.optim.SGD([{"params": [p], "lr": lr}
                                 for p, lr in zip(points, lrs, strict=True)], **extra)
    for _ in range(NUM_PATH_STEPS):
        optimizer.zero_grad()
        sum(rosenbrock(*p) for p in points).backward()
        optimizer.step()
    return [rosenbrock(*p.detach()).item() for p in points]

# %%
grid_f = {name: rosenbrock_grid(PATH_LR_GRID, **optimizer_kinds[name][1])
          for name in ("SGD", "momentum")}
for name, values in grid_f.items():
    cells = [f"lr {lr:g}: f {f:.1e}"
             for lr, f in zip(PATH_LR_GRID, values, strict=True)]
    print(f"{name:<9}" + " | ".join(cells))
assert all(math.isfinite(f) for f in grid_f["SGD"])
assert not math.isfinite(grid_f["momentum"][-1])
assert all(math.isfinite(f) for f in grid_f["momentum"][:-1])
assert min(grid_f["SGD"]) > 100 * min(grid_f["momentum"])
assert np.argmin(grid_f["SGD"]) < len(PATH_LR_GRID) - 1
assert np.argmax(grid_f["SGD"]) == 0
assert PATH_LRS["SGD"] == PATH_LRS["momentum"] < PATH_LR_GRID[-1]
print("SGD finite at every rate of the grid: True\n"
      "momentum finite at all but the largest: True\n"
      "SGD's best f more than 100 times momentum's best: True")

# %% [markdown]
# Plain SGD stays finite on the whole grid; its best rate is not the largest, and
# even there it ends far from the minimum. Momentum diverges at the grid's largest
# rate and, wherever it is stable, ends far below SGD's best. So "the largest stable
# rate" is not what `PATH_LRS` holds: it gives SGD and momentum the same rate, below
# the one where momentum diverges (asserted), so that the paths below differ only by
# momentum; the adaptive methods got rates picked by hand.
#
# The grid shows the trade-off the note describes at the start of 2.2.2: a small rate
# converges slowly (SGD at the smallest rate ends furthest from the minimum), a large
# one jumps past it (momentum at the largest). The note's other point, that
# mini-batch SGD hovers around the optimum instead of reaching it, is about gradient
# noise, which these full-gradient runs do not have; this notebook does not test it.
#
# > **Erratum (勘误)** — right after naming the choice of a suitable learning rate as
# > one of SGD's problems, the note wrote
# > "所以Momentum优化器刚好可以解决我们所面临的问题". Momentum does not remove that
# > choice: on the grid above it diverges (`nan`) at the largest rate, where plain
# > SGD stays finite (its steps can be up to $1/(1-\mu)$ times SGD's, section 3);
# > and on the digits (section 9) it barely learns at the sweep's smallest rate.
# > What it does help with here is the slow crawl along the valley (its best $f$ far
# > below SGD's).

# %%
paths, path_losses = {}, {}
for name, (cls, extra) in optimizer_kinds.items():
    point = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    optimizer = cls([point], lr=PATH_LRS[name], **extra)
    trail, losses = [START], []
    for _ in range(NUM_PATH_STEPS):
        optimizer.zero_grad()
        loss = rosenbrock(*point)
        loss.backward()
        optimizer.step()
        trail.append(tuple(point.tolist()))
        losses.append(loss.item())
    paths[name], path_losses[name] = np.array(trail), losses
    x_end, y_end = trail[-1]
    print(f"{name:<9} lr {PATH_LRS[name]:<6g} | end ({x_end:+.3f}, {y_end:+.3f}) | "
          f"f {rosenbrock(x_end, y_end):.2e}")

# %%
xs, ys = np.meshgrid(np.linspace(-2, 2, 120), np.linspace(-1, 3, 120))
log_f = np.log10(rosenbrock(xs, ys) + 1e-3)
fig, axes = grid_axes(len(paths), ncols=3, size=(4.0, 3.2))
for (name, path), ax in zip(paths.items(), axes, strict=True):
    ax.contour(xs, ys, log_f, levels=15, cmap="viridis", linewidths=0.6)
    ax.plot(path[:, 0], path[:, 1], ".-", color="C3", markersize=2, linewidth=0.8)
    ax.plot(*START, "ko", label="start")
    ax.plot(1, 1, "*", color="gold", markeredgecolor="k", markersize=12,
            label="minimum")
    ax.set_title(f"{name}, lr = {PATH_LRS[name]:g}")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
axes[0].legend(loc="upper right")
fig.suptitle(f"{NUM_PATH_STEPS} steps on Rosenbrock (contours of log10 f)")
plt.show()

# %% [markdown]
# SGD crawls: its rate is capped by the steep walls, so along the flat valley floor it
# barely moves. Momentum, at the same `lr`, is thrown across the valley by the first
# steep gradients, then accumulates the small along-valley gradient and reaches the
# minimum. The adaptive methods divide by a running size of each coordinate's
# gradient: Adagrad's ever-growing sum stalls it halfway; Adam zig-zags across the
# valley at first, then follows its floor (AdamW's decay also pulls slightly towards
# the origin); RMSprop creeps along the valley and jumps across it late (next cell).

# %%
ax = plot_losses(path_losses, xlabel="step", ylabel="f(x, y)", log_y=True,
                 title="Rosenbrock value along each path")
ax.legend(loc="upper right", ncols=2)
plt.show()

# %%
largest_rise = {name: int(np.argmax(np.diff(losses))) + 1
                for name, losses in path_losses.items()}
for name in ("momentum", "RMSprop", "Adam"):
    print(f"{name:<9} largest rise of f at step {largest_rise[name]}")
assert largest_rise["RMSprop"] > NUM_PATH_STEPS // 2
assert max(largest_rise["momentum"], largest_rise["Adam"]) < NUM_PATH_STEPS // 10
final_f = {name: losses[-1] for name, losses in path_losses.items()}
assert max(final_f["momentum"], final_f["Adam"]) < min(
    final_f["SGD"], final_f["Adagrad"], final_f["RMSprop"])
assert final_f["RMSprop"] < min(final_f["SGD"], final_f["Adagrad"])
print("momentum and Adam end below SGD, Adagrad and RMSprop: True\n"
      "RMSprop ends below SGD and Adagrad: True")

# %% [markdown]
# The ranking at the last step matches the paths: momentum and Adam end closest to
# $f=0$, plain SGD and Adagrad furthest, RMSprop in between (asserted). The largest
# spike of each curve is a step that jumped across the valley wall: momentum's and
# Adam's come in the first steps, RMSprop's in the second half of the run (printed
# steps, asserted).
#
# The note says RMSprop further (进一步) reduces the swing of the updates and speeds
# up convergence. Neither problem here tests that: each optimizer's rate was picked
# by hand, not tuned. For what they show: on Rosenbrock RMSprop ends below Adagrad
# (asserted), but its path is not free of oscillation, its largest jumps come late;
# on the digits (section 8) its training loss ends above Adagrad's (asserted), and
# both behind momentum and Adam.
#
# ## 8. 实际任务 · Loss curves on the digits
#
# The same six optimizers train the small MLP on the 8×8 digits for `NUM_EPOCHS`
# epochs, each from the same initial weights and batch order, each with a learning
# rate typical for it (momentum uses SGD's `lr`, so by section 3 its steps are up to
# $1/(1-\mu)$ times larger, with $\mu$ = `MOMENTUM`).

# %%
def make_mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(IMAGE_SIZE * IMAGE_SIZE, HIDDEN),
                         nn.ReLU(), nn.Linear(HIDDEN, NUM_CLASSES))


loss_fn = nn.CrossEntropyLoss()
train_loader, _ = digits_loaders(BATCH_SIZE, size=IMAGE_SIZE, generator=generator)
images, labels = next(iter(train_loader))
print(f"images {tuple(images.shape)} | labels {tuple(labels.shape)} | "
      f"logits {tuple(make_mlp()(images).shape)}")

# %%
def train_digits(name, lr, num_epochs=NUM_EPOCHS):
    """Train a fresh MLP (same seed, same batches) with optimizer `name` at `lr`."""
    cls, extra = optimizer_kinds[name]
    generator = set_seed(SEED)
    train_loader, test_loader = digits_loaders(BATCH_SIZE, size=IMAGE_SIZE,
                                               generator=generator)
    model = make_mlp().to(device)
    optimizer = cls(model.parameters(), lr=lr, **extra)
    return fit(model, train_loader, test_loader, loss_fn, optimizer, num_epochs,
               device)


histories = {}
for name in optimizer_kinds:
    histories[name] = train_digits(name, TRAIN_LRS[name])
    loss, acc = histories[name]["train_loss"][-1], histories[name]["test_acc"][-1]
    print(f"{name:<9} lr {TRAIN_LRS[name]:<6g} | epoch {NUM_EPOCHS:>3d} | "
          f"loss ≈{loss:.4f} | acc ≈{acc:.2%}")
final_loss = {name: h["train_loss"][-1] for name, h in histories.items()}
assert max(final_loss, key=final_loss.get) == "SGD"
assert max(final_loss[n] for n in ("momentum", "Adam", "AdamW")) < min(
    final_loss["Adagrad"], final_loss["RMSprop"])
assert final_loss["RMSprop"] > final_loss["Adagrad"]
assert min(h["test_acc"][-1] for n, h in histories.items() if n != "SGD") > 0.90
assert histories["SGD"]["test_acc"][-1] > 0.85
adam, adamw = histories["Adam"]["train_loss"], histories["AdamW"]["train_loss"]
assert all(abs(a - w) < 0.05 * a for a, w in zip(adam, adamw, strict=True))
print("SGD ends with the highest training loss: True\n"
      "momentum, Adam and AdamW end below Adagrad and RMSprop: True\n"
      "RMSprop ends above Adagrad: True\n"
      "test accuracy above 90 % (SGD: above 85 %): True\n"
      "Adam and AdamW within 5 % of each other at every epoch: True")

# %%
fig, (ax_loss, ax_acc) = grid_axes(2, ncols=2)
epochs = range(1, NUM_EPOCHS + 1)
plot_losses({name: h["train_loss"] for name, h in histories.items()}, x=epochs,
            ax=ax_loss, title="Training loss", log_y=True)
plot_losses({name: h["test_acc"] for name, h in histories.items()}, x=epochs,
            ax=ax_acc, title="Test accuracy", ylabel="accuracy")
ax_acc.get_legend().remove()
plt.show()

# %% [markdown]
# Plain SGD is clearly the slowest; momentum, Adam and AdamW end lowest, Adagrad
# and RMSprop in between (RMSprop above Adagrad, at these hand-picked rates). On
# this easy task all six end above 85 % test accuracy and all but SGD above 90 %;
# SGD, the slowest, is only held to 85 % (the `assert`s above check each of these;
# the digits after `≈` are the machine's).
# Adam and AdamW are nearly the same curve (within 5 % at every epoch, asserted):
# AdamW's decay, at PyTorch's default `weight_decay`, shrinks each weight by the
# factor $1-\gamma\lambda$ per step, which over the whole run adds up to little:

# %%
num_steps = NUM_EPOCHS * len(train_loader)
adamw_decay = torch.optim.AdamW([torch.zeros(1)]).defaults["weight_decay"]
shrink = 1 - (1 - TRAIN_LRS["AdamW"] * adamw_decay) ** num_steps
print(f"AdamW, weight_decay {adamw_decay:g}: {num_steps} steps shrink a weight "
      f"(on their own) by {shrink:.1%}")

# %% [markdown]
# ## 9. 选择optimizer · Which optimizer and learning rate to start with
#
# The note's section is called "choosing an optimizer" but never says how to choose.
# Section 8 gave each optimizer a rate that suits it; the question in practice is how
# forgiving each one is when the rate is not tuned. We train the digits with Adam and
# with SGD + momentum at every rate of `SWEEP_LRS` (a decade apart) for
# `SWEEP_EPOCHS` epochs, fewer than section 8's to keep the sweep cheap. Where the
# rate is the one of section 8 we reuse that run, read at the same epoch (same seed,
# same batches, so its first `SWEEP_EPOCHS` epochs are the same run):

# %%
adam_default_lr = torch.optim.Adam([torch.zeros(1)]).defaults["lr"]
sweep = {name: {lr: histories[name] if lr == TRAIN_LRS[name] else
                train_digits(name, lr, SWEEP_EPOCHS) for lr in SWEEP_LRS}
         for name in ("Adam", "momentum")}
last = SWEEP_EPOCHS - 1  # index of the epoch compared
for name, runs in sweep.items():
    for lr, h in runs.items():
        print(f"{name:<9} lr {lr:<6g} | epoch {SWEEP_EPOCHS:>3d} | "
              f"loss ≈{h['train_loss'][last]:.4f} | acc ≈{h['test_acc'][last]:.2%}")
acc = {name: [h["test_acc"][last] for h in runs.values()]
       for name, runs in sweep.items()}
sweep_loss = {name: [h["train_loss"][last] for h in runs.values()]
              for name, runs in sweep.items()}
assert adam_default_lr in SWEEP_LRS
assert min(acc["Adam"]) > 0.80 and acc["momentum"][0] < 0.5
assert abs(max(acc["momentum"]) - max(acc["Adam"])) < 0.03
assert np.argmin(sweep_loss["Adam"]) > SWEEP_LRS.index(adam_default_lr)
assert np.argmin(sweep_loss["momentum"]) == len(SWEEP_LRS) - 1
print(f"PyTorch's Adam default lr: {adam_default_lr:g}\n"
      "Adam above 80 % test accuracy at every rate: True\n"
      "momentum below 50 % at the smallest rate: True\n"
      "best momentum within 3 points of best Adam: True\n"
      "Adam's lowest loss at a rate above its default: True\n"
      f"momentum's lowest loss at the sweep's largest rate, {SWEEP_LRS[-1]:g} "
      f"({SWEEP_LRS[-1] / adam_default_lr:g} x Adam's default): True")

# %% [markdown]
# Adam trains well at every rate of the sweep, its default included (above 80 % test
# accuracy, asserted), because it divides each step by the gradient's own running
# size: the rate sets the step length more or less directly. SGD + momentum barely
# learns at the smallest rate; at its best one it matches Adam's best. That, and only
# that, is what this notebook shows about choosing:
#
# - **Start with Adam**, or AdamW when you want weight decay (section 6.3), at the
#   default `lr` printed above; it is the forgiving choice. Then try a factor of 10
#   up and down: here a rate above the default reaches a lower training loss after
#   `SWEEP_EPOCHS` epochs (asserted); test accuracy does not necessarily follow
#   (compare Adam's printed accuracies at the sweep's two larger rates).
# - **SGD with momentum** does as well once its `lr` is tuned (here its lowest loss
#   came at the sweep's largest rate, far above Adam's default; asserted), and
#   PyTorch's momentum multiplies the effective rate by $1/(1-\mu)$ (section 3), so a
#   rate at which plain SGD is stable can diverge with momentum (Rosenbrock, the
#   grid's largest `lr`, section 7).
# - Adagrad and RMSprop ended behind momentum and Adam on both problems (sections 7
#   and 8).
#
# ## 10. The optimizer's plumbing: param groups, `state_dict`, clipping
#
# ### 10.1 Param groups: one learning rate per layer
#
# An optimizer holds a list of *param groups*, each a dict with its own parameters
# and hyper-parameters; a key missing from a group takes the constructor's value.
# Here the first layer gets `LR` and the output layer a tenth of it:

# %%
model = make_mlp()
optimizer = torch.optim.SGD([{"params": model[1].parameters()},
                             {"params": model[3].parameters(), "lr": LR / 10}], lr=LR)
assert [group["lr"] for group in optimizer.param_groups] == [LR, LR / 10]
before = [p.detach().clone() for p in model.parameters()]
loss_fn(model(images), labels).backward()
optimizer.step()
params = list(model.parameters())
for k, group in enumerate(optimizer.param_groups):
    for p in group["params"]:
        i = next(j for j, q in enumerate(params) if q is p)
        torch.testing.assert_close(before[i] - p.detach(), group["lr"] * p.grad)
    print(f"group {k}: {len(group['params'])} tensors, lr {group['lr']:g}, "
          f"update == lr * grad: True")

# %% [markdown]
# Each group's update used its own `lr`. Schedulers (notebook 07) scale every
# group's rate, and `optimizer.add_param_group` adds one later, e.g. when unfreezing
# a layer.
#
# ### 10.2 `state_dict()`: what an optimizer saves
#
# `optimizer.state_dict()` holds two things: `state`, the per-parameter buffers keyed
# by the parameter's index (not the tensor), and `param_groups`, the hyper-parameters
# with the parameters replaced by those indices. We take two Adam steps, save the
# model and the optimizer to a buffer, load both into fresh objects and check that the
# next step is the same:

# %%
def adam_steps(model, optimizer, num_steps):
    for _ in range(num_steps):
        optimizer.zero_grad()
        loss_fn(model(images), labels).backward()
        optimizer.step()


model = make_mlp()
optimizer = torch.optim.Adam(model.parameters(), lr=LR)
adam_steps(model, optimizer, 2)
saved = optimizer.state_dict()
print(f"keys {list(saved)} | state keys {list(saved['state'])} | "
      f"group params {saved['param_groups'][0]['params']}")
print({k: tuple(v.shape) for k, v in saved["state"][0].items()})
buffer = io.BytesIO()
torch.save({"model": model.state_dict(), "optimizer": saved}, buffer)

# %%
buffer.seek(0)
checkpoint = torch.load(buffer)
restored = make_mlp()
restored.load_state_dict(checkpoint["model"])
restored_optimizer = torch.optim.Adam(restored.parameters(), lr=LR)
restored_optimizer.load_state_dict(checkpoint["optimizer"])
fresh = copy.deepcopy(restored)  # same weights, but a new optimizer (no state)
for m, opt in ((model, optimizer), (restored, restored_optimizer),
               (fresh, torch.optim.Adam(fresh.parameters(), lr=LR))):
    adam_steps(m, opt, 1)
for a, b in zip(model.parameters(), restored.parameters(), strict=True):
    torch.testing.assert_close(a, b, rtol=0, atol=0)
assert any(not torch.equal(a, c) for a, c in zip(model.parameters(),
                                                 fresh.parameters(), strict=True))
print("next step after load_state_dict == next step of the original: True\n"
      "next step of a fresh optimizer differs: True")

# %% [markdown]
# The restored optimizer continues exactly; a new optimizer on the same weights does
# not, because Adam's moments and step count are part of the training state. A
# checkpoint must save both `state_dict()`s.
#
# ### 10.3 Gradient clipping
#
# `torch.nn.utils.clip_grad_norm_(parameters, max_norm)` treats all gradients as one
# vector and scales every gradient, in place, by
# $\min\bigl(1, \frac{\text{max\_norm}}{\text{norm} + 10^{-6}}\bigr)$ (the $10^{-6}$
# guards against a zero norm), so a norm above `max_norm` ends slightly below it. It
# returns the norm **before** clipping. It goes between `backward()` and `step()`:

# %%
model = make_mlp()
loss_fn(model(images), labels).backward()
grads_before = [p.grad.clone() for p in model.parameters()]
norm_before = torch.linalg.vector_norm(torch.stack([g.norm() for g in grads_before]))
returned = torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_NORM)
norm_after = torch.linalg.vector_norm(torch.stack([p.grad.norm()
                                                   for p in model.parameters()]))
torch.testing.assert_close(returned, norm_before)
assert norm_before > MAX_NORM and norm_after <= MAX_NORM
scale = MAX_NORM / (norm_before + 1e-6)  # clip_grad_norm_'s factor, below 1 here
for p, g in zip(model.parameters(), grads_before, strict=True):
    torch.testing.assert_close(p.grad, g * scale)
print(f"norm before ≈{norm_before:.4f} | MAX_NORM {MAX_NORM} | "
      f"after ≈{norm_after:.4f}")
print("returned value == norm before clipping: True\n"
      "norm after <= MAX_NORM: True\n"
      "every gradient scaled by MAX_NORM / (norm + 1e-6) (direction unchanged): "
      "True")

# %% [markdown]
# The returned total is worth logging: a norm that keeps hitting `max_norm` says that
# the rate is too high or the loss has spikes. Clipping only rescales, so the
# direction of the gradient is unchanged (asserted), and so is plain SGD's update;
# with momentum or Adam the update also mixes in the optimizer's state, so its
# direction can change.
#
# ## Summary
# - Six update rules (SGD with weight decay; momentum with dampening and Nesterov;
#   Adagrad with `lr_decay` and an initial accumulator; RMSprop, centered and with
#   momentum; Adam; AdamW) written from PyTorch's algorithms match `torch.optim` to
#   `ATOL` at each of `NUM_CHECK_STEPS` steps, in every configuration checked, and the
#   note's Adagrad lines, once their hyphen is a minus, are `torch.optim.Adagrad`.
# - PyTorch's momentum is a sum: the note's EMA rule with rate $\alpha$ equals
#   PyTorch's with rate $\alpha(1-\beta)$; `dampening=beta` gives the EMA recursion
#   but starts the buffer at $g_1$.
# - PyTorch's RMSprop puts $\epsilon$ outside the root, TensorFlow's (and the
#   note's) inside, where tiny gradients get far smaller steps; Adam without bias
#   correction takes steps of several `lr` early on and, with the default betas,
#   needs thousands of steps to settle within 5 % of `lr`; Adam's L2 term is
#   scaled by $1/\sqrt{\hat v}$, so AdamW decouples it, $\theta \leftarrow
#   \theta(1-\gamma\lambda)$.
# - On Rosenbrock, momentum and Adam reach the minimum where SGD crawls, and momentum
#   diverges at a rate where SGD survives; on the digits all six train, plain SGD
#   slowest.
# - Adam is the forgiving start (good at every rate of the sweep), SGD + momentum
#   matches it once tuned; param groups give per-layer rates, `state_dict()` carries
#   the buffers a resumed run needs, and `clip_grad_norm_` returns the norm before
#   clipping.
#
# ## Exercises
# 1. Write `amsgrad_step`, Adam's rule with an `amsgrad` flag ($\hat v$ uses the
#    running maximum of $v_t$), and check it against `torch.optim.Adam(amsgrad=True)`.
# 2. Implement `maximize=True` for `sgd_step` and check it.
# 3. Momentum diverges on Rosenbrock at the largest rate of `PATH_LR_GRID`. Rerun it
#    there with `dampening=MOMENTUM` (section 3.2): does it stay finite, and does it
#    end above or below plain SGD at that rate? Why?
# 4. Which `lr` must `torch.optim.SGD(momentum=0.8)` get to follow the note's EMA
#    rule with `lr = 0.1` step by step? Check it on the digits MLP for a few batches.
# 5. Add `torch.optim.NAdam` or `RAdam`: read its algorithm box, implement it and add
#    a `check_rule` line.
#
# ## Further reading
# - [`torch.optim`: algorithms, per-parameter options and how to use an optimizer](
#   https://pytorch.org/docs/stable/optim.html)
# - [SGD](https://pytorch.org/docs/stable/generated/torch.optim.SGD.html),
#   [Adagrad](https://pytorch.org/docs/stable/generated/torch.optim.Adagrad.html),
#   [RMSprop](https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html)
# - [Adam](https://pytorch.org/docs/stable/generated/torch.optim.Adam.html),
#   [AdamW](https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html),
#   [RAdam](https://pytorch.org/docs/stable/generated/torch.optim.RAdam.html)
# - [`Optimizer.state_dict`](
#   https://pytorch.org/docs/stable/generated/torch.optim.Optimizer.state_dict.html),
#   [`clip_grad_norm_`](
#   https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html)
#
# ## Solutions
#
# ### Exercise 1

# %% tags=["solution"] jupyter={"source_hidden": true}
# Exercise 1: AMSGrad keeps the running maximum of the raw v, then bias-corrects it
def amsgrad_step(params, grads, state, t, *, lr, amsgrad, betas=(0.9, 0.999),
                 eps=1e-8):
    beta1, beta2 = betas
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        zeros = torch.zeros_like(p)
        m, v, v_max = state.get(i, (zeros, zeros, zeros))
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        v_max = torch.maximum(v_max, v) if amsgrad else v
        state[i] = (m, v, v_max)
        p -= lr * (m / (1 - beta1**t)) / ((v_max / (1 - beta2**t)).sqrt() + eps)


check_rule("Adam, amsgrad", torch.optim.Adam, amsgrad_step, lr=LR, amsgrad=True)

# %% [markdown]
# ### Exercise 2

# %% tags=["solution"] jupyter={"source_hidden": true}
# Exercise 2: maximize=True steps along +grad, i.e. runs the rule on -grad
def sgd_step_max(params, grads, state, t, *, maximize=False, **hyper):
    sgd_step(params, [-g if maximize else g for g in grads], state, t, **hyper)


check_rule("SGD, maximize + momentum", torch.optim.SGD, sgd_step_max, lr=LR,
           momentum=MOMENTUM, maximize=True)

# %% [markdown]
# ### Exercise 3

# %% tags=["solution"] jupyter={"source_hidden": true}
# Exercise 3: dampened momentum at the rate where plain momentum diverges
top_lr = PATH_LR_GRID[-1]
(f_damped,) = rosenbrock_grid([top_lr], momentum=MOMENTUM, dampening=MOMENTUM)
f_sgd = grid_f["SGD"][-1]
print(f"lr {top_lr:g}: momentum {grid_f['momentum'][-1]} | dampened momentum "
      f"f {f_damped:.1e} | plain SGD f {f_sgd:.1e}")
assert math.isfinite(f_damped) and f_damped < f_sgd
(f_sgd_2,) = rosenbrock_grid([2 * top_lr])
(f_damped_2,) = rosenbrock_grid([2 * top_lr], momentum=MOMENTUM, dampening=MOMENTUM)
print(f"lr {2 * top_lr:g}: plain SGD {f_sgd_2} | dampened momentum f {f_damped_2:.1e}")
assert not math.isfinite(f_sgd_2) and math.isfinite(f_damped_2)
print("dampened momentum finite and below plain SGD: True\n"
      "at twice that rate SGD diverges, dampened momentum does not: True")

# %% [markdown]
# With `dampening=MOMENTUM` each gradient enters the buffer scaled by $1-\mu$, so under
# a steady gradient the step is `lr`·g, as for SGD (section 3.2), not $1/(1-\mu)$
# times larger. Where the gradient flips sign from step to step, across the valley,
# the buffer averages the flips away, so the zig-zag is damped: dampened momentum
# survives rates at which plain SGD itself diverges (second line above).
#
# ### Exercise 4

# %% tags=["solution"] jupyter={"source_hidden": true}
# Exercise 4: the EMA rule at lr 0.1 == torch's momentum 0.8 at lr 0.1 * (1 - 0.8)
note_lr, note_beta = 0.1, 0.8
ema_model, torch_model = make_mlp(), make_mlp()
torch_model.load_state_dict(ema_model.state_dict())
optimizer = torch.optim.SGD(torch_model.parameters(), lr=note_lr * (1 - note_beta),
                            momentum=note_beta)
buffers = {}
for step, (images_b, labels_b) in enumerate(train_loader, start=1):
    if step > 5:
        break
    optimizer.zero_grad()
    loss_fn(torch_model(images_b), labels_b).backward()
    optimizer.step()
    ema_model.zero_grad()
    loss_fn(ema_model(images_b), labels_b).backward()
    with torch.no_grad():
        ema_params = list(ema_model.parameters())
        note_momentum_step(ema_params, [p.grad for p in ema_params], buffers, step,
                           lr=note_lr, momentum=note_beta)
for a, b in zip(ema_model.parameters(), torch_model.parameters(), strict=True):
    torch.testing.assert_close(a, b)
print(f"EMA rule, lr {note_lr} == SGD(lr={note_lr * (1 - note_beta):g}, "
      f"momentum={note_beta}) over 5 batches: True")

# %% [markdown]
# ### Exercise 5

# %% tags=["solution"] jupyter={"source_hidden": true}
# Exercise 5: RAdam, Adam with its adaptive step switched on once the variance
# estimate is reliable (rho_t > 5); before that, bias-corrected momentum SGD
def radam_step(params, grads, state, t, *, lr, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        m, v = state.get(i, (torch.zeros_like(p), torch.zeros_like(p)))
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        state[i] = (m, v)
        m_hat = m / (1 - beta1**t)
        if rho_t > 5:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            p -= lr * m_hat * rect * math.sqrt(1 - beta2**t) / (v.sqrt() + eps)
        else:
            p -= lr * m_hat


check_rule("RAdam", torch.optim.RAdam, radam_step, lr=LR)
