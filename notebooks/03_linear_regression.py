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
# # 03 · Linear Regression · 线性回归示例
#
# [← 02 MLP Training](02_mlp_training.ipynb) | [Contents](../README.md) |
# [04 LeNet CNN →](04_lenet_cnn.ipynb)
#
# Fitting a line $\hat y = wx + b$ to five points is small enough to know the exact
# answer, so we can check that training reaches it. This notebook follows the note's
# "Pytorch示例 · 2. 线性回归示例" (2.1 准备数据 to 2.4 测试结果), runs every snippet,
# and fixes what does not hold: data that require gradients, `.cuda()` copies that are
# no longer leaves, a learning rate too small to converge, and `eval()` mistaken for
# "no gradients".

# %% [markdown]
# **What you will learn**
# - Prepare data tensors on the right device without `requires_grad`, and check
#   `is_leaf` and `grad_fn` to see what the note's version does instead.
# - Implement the gradient of the mean squared error by hand and verify it against
#   autograd.
# - Compare the note's training settings with ones that converge, and verify the learned
#   weight and bias against the exact least-squares solution from `torch.linalg.lstsq`.
# - Explain what `model.eval()` does and does not do, and predict under
#   `torch.inference_mode()`.
# - Plot the data, the fitted lines and the loss curves.
#
# **Prerequisites**: [01 Tensors](01_tensors.ipynb) and
# [02 MLP Training](02_mlp_training.ipynb) (the training loop).
# The notebook runs on CPU in about 7 s; uses CUDA when present.

# %% [markdown]
# ## 0. 准备 · Setup
#
# Imports, one cell of parameters (papermill can override them) and the check of every
# parameter, then the seed and the device that every model and tensor below moves to.

# %%
import copy
import math
import warnings

import matplotlib.pyplot as plt
import torch
from torch import nn

from helpers import (
    Device,
    Float,
    Int,
    Seed,
    Seq,
    check_params,
    get_device,
    plot_losses,
    set_seed,
)

# %% tags=["parameters"]
SEED = 0
DEVICE = "auto"  # "auto", "cpu", "cuda", "mps"
NOTE_LR = 1e-3  # the note's learning rate ...
NOTE_EPOCHS = 1000  # ... and number of epochs
LR = 0.05  # settings that converge (section 3.3 explains the choice)
NUM_EPOCHS = 500
LOG_EVERY = 100
TOLERANCE = 1e-2  # largest allowed distance from the least-squares solution
X_NEW = (6.0, 7.5)  # inputs to predict in section 4
DROPOUT_P = 0.5  # only for the model.eval() demonstration

# %%
check_params(
    globals(),
    SEED=Seed(), DEVICE=Device(), NOTE_LR=Float(gt=0), NOTE_EPOCHS=Int(min=1),
    LR=Float(gt=0), NUM_EPOCHS=Int(min=1), LOG_EVERY=Int(min=1),
    TOLERANCE=Float(gt=0), X_NEW=Seq(Float()), DROPOUT_P=Float(ge=0, le=1),
)

# %%
# NBVAL_IGNORE_OUTPUT
# not compared: versions and the device differ between installs
generator = set_seed(SEED)
device = get_device(DEVICE)
print(f"torch {torch.__version__} | device {device}")


# %% [markdown]
# Trained floats are printed rounded to four decimals; this helper also turns `-0.0000`
# into `0.0000`, so that a tiny residual does not flip the printed sign.

# %%
def fmt(value: float) -> str:
    """Four decimals, without a negative zero."""
    return f"{round(value, 4) + 0.0:.4f}"


# %% [markdown]
# ## 1. 准备数据 · The data
#
# The note's data are the five points $y = 2x$, $x = 1, \dots, 5$, created with
# `requires_grad=True` and then moved with `.cuda()`. Moving a tensor to another device
# is an operation like any other, and autograd records it. `.to(device, copy=True)`
# makes the same copy that `.cuda()` makes on a CPU tensor, so this cell shows the
# note's version on any machine:

# %%
x_note = torch.tensor([[1.0], [2.0], [3.0], [4.0], [5.0]], requires_grad=True)
x_moved = x_note.to(device, copy=True)  # stands in for the note's .cuda()
for name, t in (("created", x_note), ("moved", x_moved)):
    grad_fn = type(t.grad_fn).__name__ if t.grad_fn is not None else None
    print(f"{name:<8}| is_leaf={t.is_leaf!s:<5} | grad_fn={grad_fn}")

# %% [markdown]
# The moved tensor is not a leaf: it is the output of `ToCopyBackward0`. Its `.grad`
# will never be filled, while the CPU original collects gradients nobody asked for:

# %%
(3 * x_moved).sum().backward()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    moved_grad = x_moved.grad
print("x_moved.grad:", moved_grad)
print("warning:", str(caught[0].message).split(". ")[0] + ".")
print("x_note.grad: ", x_note.grad.flatten().tolist())

# %% [markdown]
# The note's hard-coded `.cuda()` has a second problem: it only runs where PyTorch was
# built with CUDA and a GPU is present. On this machine (the output depends on it):

# %%
# NBVAL_IGNORE_OUTPUT
# not compared: the answer depends on the build of torch and on the GPU
try:
    torch.zeros(1).cuda()
    print(".cuda() worked on this machine; it fails on any machine without a GPU")
except (AssertionError, RuntimeError) as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# Data are inputs, not parameters: they need no gradient at all. Create them, then move
# them once with `.to(device)`, which on the CPU returns the very same tensor and on a
# GPU copies it; either way nothing is recorded.

# %%
X = torch.tensor([[1.0], [2.0], [3.0], [4.0], [5.0]]).to(device)  # (5, 1)
y = 2 * X  # (5, 1)
assert X.is_leaf and not X.requires_grad and y.grad_fn is None
assert X.device.type == device.type
print(f"X {tuple(X.shape)} {X.dtype} | is_leaf={X.is_leaf} | "
      f"requires_grad={X.requires_grad}")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `torch.tensor(..., requires_grad=True).cuda()`
# > for the data `x` and `y`. Data need no gradient: `requires_grad=True` only makes
# > autograd compute gradients with respect to the inputs, and after `.cuda()` the
# > tensors are non-leaf copies (`grad_fn=ToCopyBackward0`) whose `.grad` stays `None`
# > with a warning (cells above). Create plain tensors and move them with
# > `.to(device)`.
#
# > **Erratum (勘误)** — the note hard-codes `.cuda()` (on the data, on the model, and
# > again on every epoch's `inputs = x.cuda()`). On a machine without a CUDA GPU each
# > of these raises an error (the `.cuda()` cell above shows this machine's answer),
# > and the per-epoch call is redundant. Pick the device once
# > (`get_device`) and move data and model with `.to(device)` once, as above and below.
#
# ## 2. 定义模型、损失函数和优化器 · Model, loss and optimizer
#
# ### 2.1 The model
#
# The note's class `LR` wraps one `nn.Linear(1, 1)`. We keep it, with a name that does
# not read as "learning rate" and the Python 3 `super().__init__()`:

# %%
class LinearRegression(nn.Module):
    """y_hat = w * x + b, one input feature, one output."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


init_model = LinearRegression().to(device)
loss_fn = nn.MSELoss()
w0, b0 = init_model.linear.weight.item(), init_model.linear.bias.item()
print(f"initial w {fmt(w0)} | b {fmt(b0)} | y_hat {tuple(init_model(X).shape)}")

# %% [markdown]
# `init_model` stays untrained: both runs in section 3 start from a copy of it.
#
# ### 2.2 The gradient, by hand
#
# With $\theta = (w, b)$, the design matrix $A = [x \;\; 1]$ and $N$ points,
# `MSELoss` is $L(\theta) = \frac1N \lVert A\theta - y \rVert^2$, whose gradient is
#
# $$\nabla_\theta L = \frac{2}{N} A^\top (A\theta - y).$$
#
# We compute it at the initial weights and compare with autograd:

# %%
A = torch.cat([X, torch.ones_like(X)], dim=1)  # (5, 2): columns x and 1
theta = torch.tensor([[w0], [b0]], device=device)  # (2, 1)
grad_by_hand = 2 / len(X) * A.T @ (A @ theta - y)  # (2, 1)
model = copy.deepcopy(init_model)
loss_fn(model(X), y).backward()
grad_autograd = torch.stack([model.linear.weight.grad.reshape(()),
                             model.linear.bias.grad.reshape(())]).reshape(2, 1)
torch.testing.assert_close(grad_by_hand, grad_autograd)
print(f"dL/dw {fmt(grad_by_hand[0, 0].item())} | dL/db {fmt(grad_by_hand[1, 0].item())}"
      " (hand == autograd)")

# %% [markdown]
# The formula and autograd agree, so SGD's step is $\theta \leftarrow \theta - \eta
# \cdot \frac{2}{N} A^\top (A\theta - y)$.
#
# ### 2.3 The exact answer
#
# The least-squares solution minimises the same loss in closed form;
# `torch.linalg.lstsq` computes it. Training must end near it.

# %%
theta_star = torch.linalg.lstsq(A, y).solution  # (2, 1)
w_star, b_star = theta_star[0, 0].item(), theta_star[1, 0].item()
print(f"least squares: w* {fmt(w_star)} | b* {fmt(b_star)}")

# %% [markdown]
# As expected for points on $y = 2x$: $w^* = 2$, $b^* = 0$.
#
# ## 3. 训练模型 · Training
#
# ### 3.1 The training loop
#
# The note's loop prints `loss.data` on every one of its 1000 epochs. `.data` is a
# legacy escape hatch from autograd, and a tensor, not a number:

# %%
loss = loss_fn(init_model(X), y)
print(f"loss.data: a {type(loss.data).__name__} | loss.item(): a "
      f"{type(loss.item()).__name__} = {loss.item():.4f}")

# %% [markdown]
# The fixed loop records `loss.item()` every epoch and prints every `log_every`-th:

# %%
def train(model: nn.Module, lr: float, num_epochs: int,
          log_every: int = 0) -> list[float]:
    """Full-batch SGD on (X, y); return the loss of every epoch."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for epoch in range(num_epochs):
        y_hat = model(X)
        loss = loss_fn(y_hat, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if log_every and (epoch % log_every == 0 or epoch == num_epochs - 1):
            print(f"epoch {epoch:>3d} | loss {loss.item():.4f}")
    return losses

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `print(loss.data)` inside the loop: 1000 lines
# > of tensor reprs, through the legacy `.data` attribute that bypasses autograd's
# > checks. Record `loss.item()` (a Python float) and print it every few epochs, as the
# > loop above does.
#
# ### 3.2 The note's settings do not converge
#
# Now the note's learning rate and number of epochs, from the initial weights:

# %%
note_model = copy.deepcopy(init_model)
note_losses = train(note_model, NOTE_LR, NOTE_EPOCHS)
w, b = note_model.linear.weight.item(), note_model.linear.bias.item()
note_error = max(abs(w - w_star), abs(b - b_star))
print(f"lr {NOTE_LR:g}, {NOTE_EPOCHS} epochs: w {fmt(w)} | b {fmt(b)} | "
      f"final loss {note_losses[-1]:.4f} | distance from lstsq {fmt(note_error)}")

# %% [markdown]
# After 1000 epochs the line is still visibly off: $w$ and $b$ are far outside
# `TOLERANCE` of the solution. Why so slow?
#
# ### 3.3 Why: the curvature of the loss
#
# For gradient descent on this quadratic loss the Hessian is
# $H = \frac2N A^\top A$. Along its eigenvector with eigenvalue $\lambda$ the error
# shrinks by the factor $|1 - \eta\lambda|$ per step: the step must stay below
# $\eta < 2/\lambda_{\max}$ to be stable, and the slowest direction needs about
# $\ln(100)/(\eta\lambda_{\min})$ steps to shrink its error 100-fold.

# %%
H = 2 / len(X) * A.T @ A  # (2, 2)
lam_min, lam_max = torch.linalg.eigvalsh(H).tolist()
print(f"eigenvalues of H: {lam_min:.3f}, {lam_max:.3f} | stable for lr < "
      f"{2 / lam_max:.4f}")
for lr in (NOTE_LR, LR):
    steps = math.log(100) / (lr * lam_min)
    print(f"lr {lr:<6g}: ~{steps:,.0f} steps to shrink the slow error 100x")

# %% [markdown]
# The note's `lr = 1e-3` needs over 10,000 epochs; `LR = 0.05` is still below the
# stability limit and needs fewer than 300. We train with it:

# %%
model = copy.deepcopy(init_model)
losses = train(model, LR, NUM_EPOCHS, log_every=LOG_EVERY)
w, b = model.linear.weight.item(), model.linear.bias.item()
error = max(abs(w - w_star), abs(b - b_star))
print(f"learned w {fmt(w)} | b {fmt(b)} | distance from lstsq {fmt(error)}")
assert error < TOLERANCE, f"not within {TOLERANCE} of the least-squares solution"

# %% [markdown]
# > **Erratum (勘误)** — the note trains with `lr=1e-3` for 1000 epochs. With the
# > seeded initialisation above, that run ends far from the exact fit $w = 2, b = 0$
# > (section 3.2): the smallest curvature of the loss (0.34) times `1e-3` shrinks the
# > error by only 0.03 % per step. `LR = 0.05` for 500 epochs reaches the
# > least-squares solution within `TOLERANCE` (the `assert` above).
#
# ## 4. 测试结果 · Inference
#
# ### 4.1 What `model.eval()` does, and what it does not
#
# The note calls `model.eval()` and then predicts. `eval()` only sets `training=False`
# on every submodule, which changes the layers that behave differently in training:
# Dropout (and BatchNorm). A Dropout layer on a vector of ones shows it:

# %%
dropout = nn.Dropout(p=DROPOUT_P).to(device)
ones = torch.ones(8, device=device)
print("train mode:", dropout(ones).tolist())
dropout.eval()
print("eval mode: ", dropout(ones).tolist())

# %% [markdown]
# In training mode Dropout zeroes about half the entries and doubles the rest; in eval
# mode it passes the input through. Our `LinearRegression` has no such layer, so
# `eval()` changes nothing in its output. And `eval()` does not switch autograd off:

# %%
model.eval()
y_hat = model(X)
print(f"model.training={model.training} | y_hat.requires_grad={y_hat.requires_grad} "
      f"| grad_fn={type(y_hat.grad_fn).__name__}")
try:
    y_hat.numpy()
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# After `eval()` the output still carries a graph (`AddmmBackward0`), so memory is
# spent on it and `.numpy()` refuses it. The note's `.data` hides that by stepping
# outside autograd.
#
# ### 4.2 Predicting under `torch.inference_mode()`
#
# `torch.inference_mode()` (or the older `torch.no_grad()`) is what turns recording
# off. Inside it the output has no graph and converts to NumPy after `.cpu()`:

# %%
X_test = torch.tensor(X_NEW).reshape(-1, 1).to(device)  # (2, 1)
with torch.inference_mode():
    y_hat = model(X_test)
print(f"requires_grad={y_hat.requires_grad} | grad_fn={y_hat.grad_fn}")
for x_value, y_value in zip(X_NEW, y_hat.cpu().numpy().ravel(), strict=True):
    exact = 2 * x_value
    print(f"x = {x_value:.1f} -> y_hat = {fmt(float(y_value))} (exact {exact:.1f})")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `model.eval()` followed by
# > `model(x).data.cpu().numpy()`, as if `eval()` stopped gradient tracking. It does
# > not (the output above still has `requires_grad=True`); `eval()` only switches
# > layers such as Dropout and BatchNorm to inference behaviour. Predict inside
# > `torch.inference_mode()` and convert with `.cpu().numpy()`, as in this cell.
#
# ### 4.3 The fit, seen
#
# Left: the data, the line learned with the note's settings and the one learned with
# `LR`. Right: both loss curves on a log scale.

# %%
x_grid = torch.linspace(0, max(X_NEW), 50, device=device).reshape(-1, 1)  # (50, 1)
with torch.inference_mode():
    lines = {f"note: lr={NOTE_LR:g}, {NOTE_EPOCHS} epochs": note_model(x_grid),
             f"lr={LR:g}, {NUM_EPOCHS} epochs": model(x_grid)}
fig, (ax_fit, ax_loss) = plt.subplots(1, 2, figsize=(12, 3.5), constrained_layout=True)
ax_fit.scatter(X.cpu().ravel(), y.cpu().ravel(), color="black", zorder=3, label="data")
for label, line in lines.items():
    ax_fit.plot(x_grid.cpu().ravel(), line.cpu().ravel(), label=label)
ax_fit.set(xlabel="x", ylabel="y", title="Data and fitted lines")
ax_fit.legend()
ax_fit.grid(True, alpha=0.3)
plot_losses({label: curve for label, curve in zip(lines, (note_losses, losses),
                                                   strict=True)},
            ax=ax_loss, log_y=True, title="Training loss (MSE)")
plt.show()

# %% [markdown]
# Both runs first drop fast (the steep direction of the loss converges in a few
# steps), then follow the slow direction: with `LR` the loss keeps falling by a
# constant factor per epoch (a straight line on the log scale) and the line passes
# through every point; with the note's `lr` the loss has barely moved after the first
# 150 epochs, and the line is still tilted.
#
# ## Summary
# - Data tensors need no `requires_grad`; moving a tensor that requires grad makes a
#   non-leaf copy (`ToCopyBackward0`) whose `.grad` stays empty. Create data plainly
#   and move them with `.to(device)`.
# - The MSE gradient $\frac2N A^\top(A\theta - y)$, written by hand, equals autograd's.
# - The note's `lr=1e-3` for 1000 epochs stops far from the answer; the curvature of
#   the loss explains why, and `LR = 0.05` reaches the `torch.linalg.lstsq` solution
#   within `1e-2`.
# - `model.eval()` changes Dropout/BatchNorm behaviour but keeps autograd on; predict
#   under `torch.inference_mode()`.
# - The plot shows the data, both fitted lines and both loss curves.
#
# ## Exercises
# 1. Set `LR = 0.09`, just above the stability limit printed in section 3.3. What do the
#    loss curve and the `assert` do?
# 2. Keep `NOTE_LR = 1e-3` and find the smallest `NOTE_EPOCHS` for which the note's
#    run lands within `TOLERANCE`. Compare it with the estimate of section 3.3.
# 3. Centre the inputs (`X - X.mean()`) before training. Recompute the eigenvalues of
#    $H$: why does the same `lr` now converge much faster?
# 4. Add noise to `y` (`y = 2 * X + 0.5 * torch.randn(..., generator=generator)`) and
#    check that training still lands on the `lstsq` solution, which is no longer
#    $w = 2, b = 0$.
# 5. Replace `torch.optim.SGD` by `torch.optim.Adam(lr=0.1)` and compare the loss
#    curves.
#
# ## Further reading
# - [`torch.linalg.lstsq`](https://pytorch.org/docs/stable/generated/torch.linalg.lstsq.html)
# - [Autograd mechanics](https://pytorch.org/docs/stable/notes/autograd.html),
#   including leaf tensors and inference mode
# - [`torch.inference_mode`](https://pytorch.org/docs/stable/generated/torch.autograd.grad_mode.inference_mode.html)
# - [`nn.Module.eval`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval)
# - [`torch.nn.MSELoss`](https://pytorch.org/docs/stable/generated/torch.nn.MSELoss.html)
