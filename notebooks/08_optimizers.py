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
# - Verify each rule against `torch.optim`, parameter by parameter, at every one of
#   100 steps
# - Compare the note's formulas (EMA momentum, RMSprop's `eps` inside the root, Adam
#   without bias correction) with PyTorch's, in numbers, and translate learning rates
#   between them
# - Plot the optimizers' paths on the Rosenbrock function and their loss curves on
#   the digits
#
# **Prerequisites**: [02 MLP training](02_mlp_training.ipynb) (what `optimizer.step()`
# does in a loop) and [07 Learning-rate schedules](07_lr_schedulers.ipynb);
# runs on CPU in about 15 s; uses CUDA when present.
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
PATH_LRS = {"SGD": 2e-3, "momentum": 2e-3, "Adagrad": 0.5, "RMSprop": 0.02,
            "Adam": 0.1, "AdamW": 0.1}
NUM_EPOCHS = 10
BATCH_SIZE = 64
IMAGE_SIZE = 8
HIDDEN = 64
NUM_CLASSES = 10
TRAIN_LRS = {"SGD": 0.1, "momentum": 0.1, "Adagrad": 0.05, "RMSprop": 3e-3,
             "Adam": 1e-2, "AdamW": 1e-2}

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
    PATH_LRS=Table(OPTIMIZERS, Float(gt=0)), NUM_EPOCHS=Int(min=1),
    BATCH_SIZE=Int(min=1), IMAGE_SIZE=Int(min=8), HIDDEN=Int(min=1),
    NUM_CLASSES=OneOf(10), TRAIN_LRS=Table(OPTIMIZERS, Float(gt=0)),
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
# d_t = \begin{cases} g_t & \mu = 0\\ g_t + \mu b_t & \text{Nesterov}\\
# b_t & \text{otherwise}\end{cases}$$
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
# Plain SGD is $\theta \leftarrow \theta - \gamma g$; the note's
# `torch.optim.SGD(model.parameters(), lr=LR)` is exactly this (once `LR` is defined:
# the note never defines it, nor `net_Adagrad`, `net_RMSprop`, `net_Adam` and
# `Learning_rate` below).
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
# with $v_0 = 0$. PyTorch's buffer has no $(1-\beta)$: $b_t = \mu b_{t-1} + g_t$.
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
# conventions differ by the factor $1/(1-\beta)$ once the sum has built up. A
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
np.testing.assert_allclose(pytorch_momentum, (1 - beta**t_axis) / (1 - beta), rtol=1e-9)
np.testing.assert_allclose(dampened, np.ones_like(ema), rtol=1e-9)
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
# PyTorch's momentum moves $1/(1-\beta) = 5$ times further per step than the note's
# EMA once the buffer is full. `dampening=beta` scales the new gradient by
# $(1-\beta)$ like the EMA, but its buffer starts at $g_1$ instead of 0, so it moves
# a full `lr` from the first step (the EMA's start is biased towards 0, like Adam's
# moments before bias correction in section 6).
#
# > **Erratum (勘误)** — the note wrote momentum as $v_{dW}=βv_{dw}+(1−β)dW$ (an EMA,
# > with a stray lower-case $v_{dw}$, and "第 tt 步" for step $t$) next to
# > `torch.optim.SGD(..., momentum=0.8)`. PyTorch computes $b_t = \mu b_{t-1} + g_t$
# > (no $1-\beta$, `dampening=0` by default), which is the note's rule with the
# > learning rate multiplied by $1/(1-\beta)$; the harness check above shows the
# > exact equivalence, lr$_\text{PyTorch}$ = $\alpha(1-\beta)$. With the note's
# > $\beta=0.8$, the same `lr` moves 5 times further in PyTorch. Setting
# > `dampening=beta` gives the EMA's recursion but not its start ($b_1 = g_1$).
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
# > **Erratum (勘误)** — the note wrote RMSprop as $W=W−α\frac{dW}{\sqrt{s_{dW}+ε}}$
# > with ${dW}^2$ defined as a sum of squares. PyTorch (and Adam, and the note's own
# > Adam line) put $\epsilon$ outside the root, $\frac{g}{\sqrt{v}+\epsilon}$, which
# > changes the step by orders of magnitude once $\sqrt{v}$ nears $\sqrt\epsilon$
# > (cell above: 0.0100 lr vs 9.0909 lr at $g=10^{-6}$); and $g^2$ is element-wise,
# > one running average per parameter element (the `square_avg` shapes above).
#
# The note's snippet passes `alpha=0.9`, without saying that PyTorch's default is
# `alpha=0.99`. An EMA with constant $\alpha$ gives weight $\alpha^k(1-\alpha)$ to
# the gradient $k$ steps back; its memory is about $1/(1-\alpha)$ steps:

# %%
for a in (NOTE_ALPHA, alpha):
    window = round(1 / (1 - a))
    share = 1 - a**window  # weight of the last `window` squared gradients
    print(f"alpha = {a}: memory ~{window} steps, which carry {share:.1%} of the weight")
assert alpha == 0.99

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `RMSprop(..., alpha=0.9)` as if it were the
# > setting; it is a choice, and PyTorch's default is `alpha=0.99` (asserted above).
# > The note's value averages the squared gradients over ~10 steps instead of ~100,
# > so its per-parameter scaling reacts faster and is noisier.
#
# ## 6. Adam
#
# ### 6.1 PyTorch's rule, with bias correction
#
# Adam keeps an EMA of the gradient ($m$, rate $\beta_1$) and of its square ($v$,
# rate $\beta_2$), both starting at zero, and divides each by $1-\beta^t$ to undo the
# pull towards that zero start:
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
# $m$ and one $v$ per parameter tensor, created at the first step as zeros (plus a
# step counter for the bias correction):

# %%
optimizer = torch.optim.Adam([p.clone().requires_grad_() for p in params0], lr=LR)
loss_of(optimizer.param_groups[0]["params"]).backward()
optimizer.step()
for p in optimizer.param_groups[0]["params"]:
    state = optimizer.state[p]
    print({k: tuple(v.shape) for k, v in state.items()},
          f"| step {int(state['step'])}")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote $s_{dW}=s_{dW}=v_{dW}=v_{dW}=0$; it means
# > $s_{dW}=s_{db}=v_{dW}=v_{db}=0$, i.e. both moments of both parameters start at
# > zero (cell above: `exp_avg` and `exp_avg_sq` per tensor). Its formulas (2)-(5)
# > also use one $\beta$ for both moments, while Adam has two, $\beta_1$ for $v$ and
# > $\beta_2$ for $s$, as the note's own `betas=(0.9, 0.99)` shows.
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
for betas, sizes in note_sizes.items():
    print(f"note, betas {betas}: largest step {sizes.max():.2f} lr, at step "
          f"{sizes.argmax() + 1}")

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
# 12 and need about a thousand steps to come back down to `lr`: the note's Adam
# has no fixed relation to `lr` early on. With the note's $\beta_2 = 0.99$ the
# overshoot is about 2 `lr` and fades within a few hundred steps.
#
# > **Erratum (勘误)** — the note wrote Adam's update as
# > $W=W−α\frac{v_{dW}}{\sqrt{s_{dW}}+ε}$, using the raw moments. PyTorch (and the
# > Adam paper) divide them by $1-\beta_1^t$ and $1-\beta_2^t$ first; without that,
# > the first hundreds of steps are up to 6.6 times larger than `lr` with the default
# > betas (table above), so a learning rate tuned with one convention does not
# > transfer to the other until $t$ is in the thousands.
#
# The note's `betas=(0.9, 0.99)` is a choice too: PyTorch's default is
# $(0.9, 0.999)$, a second-moment memory of ~1000 steps instead of ~100.

# %%
assert default_betas == (0.9, 0.999)
for b2 in (NOTE_BETAS[1], default_betas[1]):
    print(f"beta2 = {b2}: second-moment memory ~{round(1 / (1 - b2))} steps")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `torch.optim.Adam(..., betas=(0.9, 0.99))`
# > without saying that PyTorch's default is `betas=(0.9, 0.999)` (asserted above).
# > Both run; the note's $\beta_2$ averages the squared gradient over ~100 steps
# > instead of ~1000.
#
# ### 6.3 AdamW: decoupled weight decay
#
# In `Adam`, the decay $\lambda\theta$ is added to the gradient and then divided by
# $\sqrt{\hat v}$ with it. Take a weight whose loss gradient is zero, so only the decay
# acts: `Adam` sees $g = \lambda\theta$ and moves it by about `lr` per step
# **whatever** $\lambda$ is, while `AdamW` shrinks it by the factor $1 - \gamma\lambda$.

# %%
for wd in (1e-4, 1e-2, 1.0):
    shrink = {}
    for name, cls in (("Adam", torch.optim.Adam), ("AdamW", torch.optim.AdamW)):
        theta = torch.ones(1, dtype=torch.float64, requires_grad=True)
        optimizer = cls([theta], lr=LR, weight_decay=wd)
        theta.grad = torch.zeros_like(theta)  # loss gradient 0: only decay acts
        optimizer.step()
        shrink[name] = 1 - theta.item()
    assert math.isclose(shrink["AdamW"], LR * wd)
    assert math.isclose(shrink["Adam"], LR, rel_tol=1e-3)
    print(f"weight_decay {wd:g}: one step shrinks w=1 by {shrink['Adam']:.2e} (Adam) "
          f"vs {shrink['AdamW']:.2e} (AdamW)")

# %% [markdown]
# Under `Adam`, `weight_decay` barely sets how strongly weights are pulled to zero (a
# step of ~`lr` for every value tried); under `AdamW` the pull is $\gamma\lambda\theta$,
# as for SGD. In this PyTorch, `Adam(..., decoupled_weight_decay=True)` is `AdamW`:

# %%
def adam_decoupled(params, **hyper):
    return torch.optim.Adam(params, decoupled_weight_decay=True, **hyper)


check_rule("Adam(decoupled_weight_decay=True)", adam_decoupled, adamw_step, lr=LR,
           weight_decay=WEIGHT_DECAY)
print(f"{num_checked} configurations match torch.optim at each of "
      f"{NUM_CHECK_STEPS} steps")

# %% [markdown]
# That makes 14 configurations of six optimizers, each equal to `torch.optim` at
# every step to `ATOL` $=10^{-12}$.
#
# ## 7. 轨迹 · Paths on the Rosenbrock function
#
# The Rosenbrock function $f(x, y) = (1-x)^2 + 100\,(y-x^2)^2$ has its minimum at
# $(1, 1)$ at the bottom of a long, curved, flat-bottomed valley: steep across, almost
# flat along. Each optimizer starts at $(-1.2, 1)$ with a learning rate picked by
# hand from a small grid (the largest that stays stable for SGD and momentum, a good
# one for the others) and takes the same number of steps.

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
# gradient: Adagrad's ever-growing sum stalls it halfway, RMSprop and Adam zig-zag
# across the valley at first, then follow its floor (AdamW's decay also pulls
# slightly towards the origin).

# %%
ax = plot_losses(path_losses, xlabel="step", ylabel="f(x, y)", log_y=True,
                 title="Rosenbrock value along each path")
ax.legend(loc="upper right", ncols=2)
plt.show()

# %% [markdown]
# On the log scale the ranking at step 500 matches the paths: momentum and Adam end
# closest to $f=0$, plain SGD and Adagrad furthest. The spikes of RMSprop (and of
# momentum at the start) are steps that jumped across the valley wall.
#
# ## 8. 实际任务 · Loss curves on the digits
#
# The same six optimizers train the small MLP on the 8×8 digits for `NUM_EPOCHS`
# epochs, each from the same initial weights and batch order, each with a learning
# rate typical for it (momentum uses SGD's `lr`, so by section 3 it takes ten times
# larger steps).

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
histories = {}
for name, (cls, extra) in optimizer_kinds.items():
    generator = set_seed(SEED)
    train_loader, test_loader = digits_loaders(BATCH_SIZE, size=IMAGE_SIZE,
                                               generator=generator)
    model = make_mlp().to(device)
    optimizer = cls(model.parameters(), lr=TRAIN_LRS[name], **extra)
    histories[name] = fit(model, train_loader, test_loader, loss_fn, optimizer,
                          NUM_EPOCHS, device)
    loss, acc = histories[name]["train_loss"][-1], histories[name]["test_acc"][-1]
    print(f"{name:<9} lr {TRAIN_LRS[name]:<6g} | epoch {NUM_EPOCHS:>3d} | "
          f"loss ≈{loss:.4f} | acc ≈{acc:.2%}")
final_loss = {name: h["train_loss"][-1] for name, h in histories.items()}
assert max(final_loss, key=final_loss.get) == "SGD"
assert max(final_loss[n] for n in ("momentum", "Adam", "AdamW")) < min(
    final_loss["Adagrad"], final_loss["RMSprop"])
assert min(h["test_acc"][-1] for n, h in histories.items() if n != "SGD") > 0.90
assert histories["SGD"]["test_acc"][-1] > 0.85
adam, adamw = histories["Adam"]["train_loss"], histories["AdamW"]["train_loss"]
assert all(abs(a - w) < 0.05 * a for a, w in zip(adam, adamw, strict=True))
print("SGD ends with the highest training loss: True\n"
      "momentum, Adam and AdamW end below Adagrad and RMSprop: True\n"
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
# and RMSprop in between, and all but plain SGD end above 90 % test accuracy on this
# easy task (the `assert`s above check each of these; the digits after `≈` are the
# machine's).
# Adam and AdamW are nearly the same curve (within 5 % at every epoch, asserted):
# AdamW's decay shrinks the weights by a
# factor $1 - 10^{-2}\cdot 10^{-2}$ per step, about 2 % over the 230 steps.
#
# ## Summary
# - Six update rules (SGD with weight decay, momentum, dampening and Nesterov;
#   Adagrad with `lr_decay` and an initial accumulator; RMSprop, centered and with
#   momentum; Adam; AdamW) written from PyTorch's algorithms match `torch.optim` to
#   $10^{-12}$ at each of 100 steps, 14 configurations in all.
# - PyTorch's momentum is a sum: the note's EMA rule with rate $\alpha$ equals
#   PyTorch's with rate $\alpha(1-\beta)$; `dampening=beta` gives the EMA recursion
#   but starts the buffer at $g_1$.
# - RMSprop's $\epsilon$ belongs outside the root (inside, tiny gradients get steps
#   ~1000 times smaller); Adam without bias correction takes steps up to 6.6 `lr`
#   early on; AdamW decays weights by $\gamma\lambda\theta$, Adam's L2 term by about
#   `lr` whatever $\lambda$.
# - On Rosenbrock, momentum and Adam reach the minimum where SGD crawls; on the
#   digits all six train, plain SGD slowest.
#
# ## Exercises
# 1. Add `amsgrad=True` to `adam_step` ($\hat v$ uses the running maximum of $v_t$)
#    and check it against `torch.optim.Adam(amsgrad=True)`.
# 2. Implement `maximize=True` for `sgd_step` and check it.
# 3. Rerun the Rosenbrock paths with `momentum` at `lr = 4e-3`. What happens, and
#    why does plain SGD survive a larger rate than momentum?
# 4. Train the digits with the note's momentum convention: which `lr` must
#    `torch.optim.SGD(momentum=0.8)` get to match an EMA rule with `lr = 0.1`?
# 5. Add `torch.optim.NAdam` or `RAdam`: read its algorithm box, implement it and add
#    a `check_rule` line.
#
# ## Further reading
# - [`torch.optim`: algorithms and how to use an optimizer](
#   https://pytorch.org/docs/stable/optim.html)
# - [SGD](https://pytorch.org/docs/stable/generated/torch.optim.SGD.html),
#   [Adagrad](https://pytorch.org/docs/stable/generated/torch.optim.Adagrad.html),
#   [RMSprop](https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html)
# - [Adam](https://pytorch.org/docs/stable/generated/torch.optim.Adam.html),
#   [AdamW](https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html)
