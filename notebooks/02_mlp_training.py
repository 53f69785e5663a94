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
# # 02 · MLP Training · 全连接神经网络
#
# [← 01 Tensors](01_tensors.ipynb) | [Contents](../README.md) |
# [03 Linear Regression →](03_linear_regression.ipynb)
#
# A two-layer fully connected network is the smallest model that has everything a big
# one has: parameters, a loss, gradients, an update rule, and weights worth saving.
# This notebook follows the note's "Pytorch示例 · 1. 全连接神经网络" (1.1 模型 to
# 1.4 保存、加载模型), runs every snippet of it, and fixes what does not run or is not
# true.

# %% [markdown]
# **What you will learn**
# - Implement the gradient-descent update by hand (clear the grads, backward, update
#   under `torch.no_grad()`), see that `zero_grad()` now sets the grads to `None`, and
#   verify the update equals `torch.optim.SGD`.
# - Compare plain gradient descent with SGD with momentum from the same initial weights,
#   and plot both loss curves.
# - Save a `state_dict`, load it into a fresh model, and verify that buffers such as
#   BatchNorm's running statistics are saved too.
# - Explain why `torch.load` refuses a pickled whole model by default, and what
#   `weights_only=False` risks.
# - Resume training from a checkpoint (model, optimizer, epoch) and verify it reproduces
#   the uninterrupted run exactly.
#
# **Prerequisites**: [01 Tensors](01_tensors.ipynb) (tensors, `requires_grad`,
# `backward`). The notebook runs on CPU in about 13 s; uses CUDA when present.

# %% [markdown]
# ## 0. 准备 · Setup
#
# Imports, one cell of parameters (papermill can override them), then the seed and the
# device that every model and tensor below moves to.

# %%
import copy
import pickle
import re
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torch import nn

from helpers import (
    Device,
    Float,
    Int,
    Seed,
    check_params,
    get_device,
    plot_losses,
    set_seed,
)

# %% tags=["parameters"]
SEED = 0
DEVICE = "auto"  # "auto", "cpu", "cuda", "mps"
BATCH_SIZE = 64  # the note's N_batch: the whole data set is one batch
DIM_INPUT = 1000
DIM_HIDDEN = 100
DIM_OUTPUT = 10
NUM_EPOCHS = 500  # one full-batch step per epoch, as in the note
LR = 1e-4
MOMENTUM = 0.9
CHECK_STEPS = 3  # steps compared between the hand update and torch.optim.SGD
RESUME_EPOCH = 50  # where the checkpoint is written
LOG_EVERY = 100
TARGET_LOSS = 1e-3  # section 3 counts the epochs each run needs to get below it
AFTER_RESUME = 12  # epochs run after resuming without the optimizer's state

# %%
check_params(
    globals(),
    SEED=Seed(), DEVICE=Device(), BATCH_SIZE=Int(min=1), DIM_INPUT=Int(min=1),
    DIM_HIDDEN=Int(min=1), DIM_OUTPUT=Int(min=1), NUM_EPOCHS=Int(min=1),
    LR=Float(gt=0), MOMENTUM=Float(ge=0, lt=1), CHECK_STEPS=Int(min=1),
    RESUME_EPOCH=Int(min=1, max="NUM_EPOCHS"), LOG_EVERY=Int(min=1),
    TARGET_LOSS=Float(gt=0), AFTER_RESUME=Int(min=3, max="NUM_EPOCHS - RESUME_EPOCH"),
)

# %%
# NBVAL_IGNORE_OUTPUT
# not compared: versions and the device differ between installs
generator = set_seed(SEED)
device = get_device(DEVICE)
print(f"torch {torch.__version__} | device {device}")

# %% [markdown]
# ## 1. 模型 · The model
#
# The note draws random inputs `x` (64 × 1000) and random targets `y` (64 × 10) and
# builds `Linear(1000, 100) → ReLU → Linear(100, 10)`. Run as written, its block stops
# twice before a model exists:

# %%
dimension_input, dimension_hidden = DIM_INPUT, DIM_HIDDEN
for note_code in ("torch.nn.Linear(dimension_in, dimension_hidden)", "torch.nn.Relu()"):
    try:
        eval(note_code)
    except (NameError, AttributeError) as err:
        print(f"{note_code:<48} -> {type(err).__name__}: {err}")

# %% [markdown]
# We give the network a domain name, `MLP`, so that section 4 can rebuild it from its
# class. Subclassing `nn.Sequential` keeps the note's layer names (`0.weight`, ...).

# %%
class MLP(nn.Sequential):
    """Linear -> ReLU -> Linear: the note's fully connected network."""

    def __init__(self, dim_input: int, dim_hidden: int, dim_output: int):
        super().__init__(
            nn.Linear(dim_input, dim_hidden),
            nn.ReLU(),
            nn.Linear(dim_hidden, dim_output),
        )

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `torch.nn.Linear(dimension_in, ...)` after
# > defining `dimension_input`; the undefined name raises `NameError` (first cell of
# > this section). The `MLP` class above takes the dimensions as arguments.
#
# > **Erratum (勘误)** — the note wrote `torch.nn.Relu()`; the class is `nn.ReLU`, and
# > `Relu` raises `AttributeError` (first cell of this section). `MLP` uses `nn.ReLU`.
#
# The data are drawn on the CPU from the seeded `generator` and then moved, so CPU and
# GPU runs see the same numbers. `init_model` is never trained: every run below starts
# from a `copy.deepcopy` of it, so all runs share the same initial weights.

# %%
X = torch.randn(BATCH_SIZE, DIM_INPUT, generator=generator).to(device)
y = torch.randn(BATCH_SIZE, DIM_OUTPUT, generator=generator).to(device)
init_model = MLP(DIM_INPUT, DIM_HIDDEN, DIM_OUTPUT).to(device)
y_hat = init_model(X)
num_params = sum(p.numel() for p in init_model.parameters())
print(f"X {tuple(X.shape)} | y {tuple(y.shape)} | y_hat {tuple(y_hat.shape)}")
assert next(init_model.parameters()).device.type == X.device.type == device.type
print(f"parameters: {num_params:,}")

# %% [markdown]
# Far more parameters (printed above) than the `BATCH_SIZE × DIM_OUTPUT` targets: the
# network can fit this noise exactly, so the loss below measures optimisation, not
# learning anything that generalises.
#
# ## 2. 不使用Optimizer · Training by hand
#
# The note's update is gradient descent on the summed squared error
# $L = \sum_{i,j} (\hat y_{ij} - y_{ij})^2$: for every parameter $\theta$,
#
# $$\theta \leftarrow \theta - \eta \, \nabla_\theta L .$$
#
# ### 2.1 Why the update needs `torch.no_grad()`
#
# Parameters are leaf tensors with `requires_grad=True`. Autograd refuses an in-place
# change of such a tensor while it is recording, because the change would itself become
# part of the graph:

# %%
loss_fn = nn.MSELoss(reduction="sum")
model = copy.deepcopy(init_model)
loss_fn(model(X), y).backward()
try:
    for param in model.parameters():
        param -= LR * param.grad
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# Inside `with torch.no_grad():` autograd records nothing, so the same line is allowed.
# The gradients were already computed by `backward()`; `no_grad` only keeps the update
# out of the graph.
#
# The note says "参数优化前使用no_grad暂停梯度更新", literally "before optimising the
# parameters, use `no_grad` to pause gradient updates", and "参数更新前停止梯度传播"
# ("stop gradient propagation before the parameter update"). Word for word the first
# is off: `no_grad` pauses no update, the update is what runs inside it. Read
# charitably, as the usual shorthand for "pause gradient *tracking*", both phrases are
# right: operations inside the block are not recorded, so no gradient will ever flow
# through them. The cell above adds the reason the update *must* be inside: otherwise
# the in-place change is refused.
#
# ### 2.2 Two more slips in the loop
#
# The note iterates over `model.parameters` and prints `loss.item`, both without
# parentheses:

# %%
try:
    for _param in model.parameters:
        pass
except TypeError as err:
    print(f"for param in model.parameters -> {type(err).__name__}: {err}")
loss = loss_fn(model(X), y)
print(f"loss.item   is a {type(loss.item).__name__}, not a number")
print(f"loss.item() = {loss.item():.1f}")

# %% [markdown]
# The fixed loop, as a function so that section 2.4 can run it again. `zero_grad()`
# comes before `backward()` because gradients accumulate.
#
# The log prints each loss after `≈`. Such a number comes out of hundreds of float
# steps, and its last digits depend on the machine: the order in which your CPU (or
# GPU) adds up a matrix product differs from ours, and training amplifies the
# difference. Yours may differ from the stored output; whatever the notebook claims
# about these numbers, an `assert` checks on every run.

# %%
def train_by_hand(model: nn.Module, num_epochs: int, log_every: int = 0) -> list[float]:
    """Full-batch gradient descent written out; return the loss of every epoch."""
    losses = []
    for epoch in range(num_epochs):
        loss = loss_fn(model(X), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= LR * param.grad
        losses.append(loss.item())
        if log_every and (epoch % log_every == 0 or epoch == num_epochs - 1):
            print(f"epoch {epoch:>3d} | loss ≈{loss.item():.3e}")
    return losses


hand_model = copy.deepcopy(init_model)
hand_losses = train_by_hand(hand_model, NUM_EPOCHS, log_every=LOG_EVERY)

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `for param in model.parameters:`;
# > `parameters` is a method, and without `()` the loop raises
# > `TypeError: 'method' object is not iterable` (the cell before the loop). The loop
# > above calls `model.parameters()`.
#
# > **Erratum (勘误)** — the note wrote `print(loss.item)` (commented out in its
# > loops); without `()` that is the bound method itself, and printing it shows the
# > method's repr instead of the loss (the cell before the loop). The loop above logs
# > `loss.item()`.
#
# The loss falls from several hundred to nearly zero in `NUM_EPOCHS` full-batch steps
# (section 3 asserts that it ends below a thousandth of where it started).
#
# ### 2.3 `zero_grad()` sets the gradients to `None`
#
# The note says to zero (清零) the gradients before `backward()`. Since PyTorch 2.0,
# `model.zero_grad()` and `optimizer.zero_grad()` default to `set_to_none=True`: they
# do not fill `.grad` with zeros, they delete it. For the note's loops that changes
# nothing, but code that reads or adds to `.grad` right after `zero_grad()` breaks:

# %%
model = copy.deepcopy(init_model)
weight = model[0].weight
loss_fn(model(X), y).backward()
model.zero_grad()  # set_to_none=True by default
print("after zero_grad(): weight.grad is None:", weight.grad is None)
try:
    weight.grad += 1.0
except TypeError as err:
    print(f"weight.grad += 1.0 -> {type(err).__name__}: {err}")
loss_fn(model(X), y).backward()
grad_from_none = weight.grad.clone()
model.zero_grad(set_to_none=False)
print("after zero_grad(set_to_none=False): all zeros:", bool((weight.grad == 0).all()))
loss_fn(model(X), y).backward()
assert torch.equal(weight.grad, grad_from_none)
print("backward() into None or into zeros gives the same gradient: True")
torch.optim.SGD(model.parameters(), lr=LR).zero_grad()  # the note's 1.3 way
print("optimizer.zero_grad() cleared every model parameter:",
      all(p.grad is None for p in model.parameters()))

# %% [markdown]
# `backward()` creates `.grad` where it is `None` and adds into it where it exists, so
# both ways the next gradient is the same (the `assert`). `None` saves memory and
# leaves `.grad` at `None` for a parameter that then gets no gradient, which
# `torch.optim` optimizers skip, while a zero gradient would still get a step. The
# note's "清零" is therefore still right for its loops; only code that touches `.grad`
# between `zero_grad()` and `backward()` needs `set_to_none=False` (or a `None` check).
# The note's 1.3 clears the *optimizer's* gradients (清零optimizer梯度): an optimizer
# has none of its own, its `zero_grad()` clears the parameters it was given, here all
# of the model's (last line above).
#
# ### 2.4 The hand update is `torch.optim.SGD`
#
# `torch.optim.SGD` without momentum applies exactly $\theta \leftarrow \theta - \eta
# \nabla_\theta L$. We take `CHECK_STEPS` steps each way from the same weights and
# compare every parameter:

# %%
def train_full_batch(model: nn.Module, optimizer: torch.optim.Optimizer,
                     num_epochs: int, inputs=None, targets=None,
                     criterion: nn.Module = loss_fn) -> list[float]:
    """Full-batch training with an optimizer on (X, y), or on the inputs and targets
    given, under loss_fn or the criterion given; return the loss of every epoch."""
    inputs, targets = (X, y) if inputs is None else (inputs, targets)
    losses = []
    for _ in range(num_epochs):
        loss = criterion(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses

# %%
by_hand, by_sgd = copy.deepcopy(init_model), copy.deepcopy(init_model)
train_by_hand(by_hand, CHECK_STEPS)
train_full_batch(by_sgd, torch.optim.SGD(by_sgd.parameters(), lr=LR), CHECK_STEPS)
pairs = zip(by_hand.named_parameters(), by_sgd.parameters(), strict=True)
for (name, p_hand), p_sgd in pairs:
    torch.testing.assert_close(p_hand, p_sgd, msg=name)
print(f"after {CHECK_STEPS} steps all {len(list(by_sgd.parameters()))} parameter "
      "tensors match torch.optim.SGD(lr=LR)")

# %% [markdown]
# They match to float32 rounding (`SGD` computes `param.add_(grad, alpha=-lr)` in one
# operation, so the last bit may differ).
#
# ## 3. 使用Optimizer · Training with `torch.optim.SGD` and momentum
#
# An optimizer owns the update rule. The note asks for SGD with momentum 0.9, but names
# a module that does not exist:

# %%
try:
    torch.optimum.SGD
except AttributeError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# With `torch.optim`, and starting from the same `init_model` as the hand-written run:

# %%
model = copy.deepcopy(init_model)
optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
momentum_losses = train_full_batch(model, optimizer, NUM_EPOCHS)
for epoch in [*range(0, NUM_EPOCHS, LOG_EVERY), NUM_EPOCHS - 1]:
    print(f"epoch {epoch:>3d} | loss ≈{momentum_losses[epoch]:.3e}")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `torch.optimum.SGD(...)`; the module is
# > `torch.optim` (`AttributeError` above).
#
# Run top to bottom, the note's 1.3 loop also continues from the `model` that 1.2 has
# already trained, so its curve would start where the first one ended:

# %%
with torch.no_grad():
    continued_start = loss_fn(hand_model(X), y).item()
print(f"first loss of 1.3 on 1.2's trained model: ≈{continued_start:.1e}")
print(f"first loss of 1.3 on a copy of init_model: {momentum_losses[0]:.1f}")
assert continued_start < momentum_losses[0] / 1000  # 1.2's model starts near zero

# %% [markdown]
# The note's 1.2 and 1.3 are two alternative ways to train the model of 1.1, not
# steps of one script, so this is no mistake of the note; but to *compare* them, as
# we do next, both runs must start from the same weights. Here both start from
# `copy.deepcopy(init_model)`.
#
# Both curves on a log scale:

# %%
ax = plot_losses(
    {"by hand (plain gradient descent)": hand_losses,
     f"torch.optim.SGD, momentum {MOMENTUM}": momentum_losses},
    log_y=True, title=f"Same initial weights, lr = {LR:g}",
    ylabel="summed squared error",
)
plt.show()

# %% [markdown]
# How many epochs does each run need to reach `TARGET_LOSS`?

# %%
reached = {}
for label, curve in (("by hand", hand_losses), ("momentum", momentum_losses)):
    reached[label] = next(
        (e for e, loss in enumerate(curve) if loss < TARGET_LOSS), None)
    when = "not reached" if reached[label] is None else f"≈{reached[label]}"
    print(f"{label:<8} | loss < {TARGET_LOSS:g} first at epoch {when}")
assert hand_losses[-1] < hand_losses[0] / 1000, "plain descent did not get near 0"
assert reached["momentum"] is not None and (
    reached["by hand"] is None or reached["momentum"] < reached["by hand"] / 2
), "momentum was not twice as fast here: the text describes LR 1e-4, MOMENTUM 0.9"
print("momentum needs less than half the epochs: True")

# %% [markdown]
# Momentum gets there in well under half the epochs plain gradient descent needs (the
# `assert` above). The last losses show the gap the plot shows at the end:

# %%
print(f"final loss | by hand ≈{hand_losses[-1]:.3e} | "
      f"momentum ≈{momentum_losses[-1]:.3e}")
assert momentum_losses[-1] < hand_losses[-1] / 1e4, "momentum did not end 1e4x lower"
print("momentum ends more than 10,000 times lower: True")
assert hand_losses[-1] < hand_losses[-LOG_EVERY] / 3, "plain descent had stopped"
print(f"by hand, the last {LOG_EVERY} epochs still gained a factor > 3: True")
last = momentum_losses[-LOG_EVERY:]
assert last[0] < 3 * last[-1], "momentum was still making progress at the end"
print(f"momentum, the last {LOG_EVERY} epochs gained less than a factor 3: True")

# %% [markdown]
# Plain gradient descent is still descending when `NUM_EPOCHS` runs out; momentum
# ended more than four orders of magnitude lower and has stopped improving (the
# `assert`s). Is it float32 that stops it? We continue from the final weights for
# `LOG_EVERY` more epochs, once cast to float64. A new optimizer starts with zero
# momentum, and that alone might unstick the run, so the control continues in float32
# with a new optimizer too:

# %%
continued = {}
for dtype in (torch.float32, torch.float64):
    model_d = copy.deepcopy(model).to(dtype)  # the momentum run's final weights
    optimizer_d = torch.optim.SGD(model_d.parameters(), lr=LR, momentum=MOMENTUM)
    X_d, y_d = X.to(dtype), y.to(dtype)
    continued[dtype] = []
    for _ in range(LOG_EVERY):
        loss = loss_fn(model_d(X_d), y_d)
        optimizer_d.zero_grad()
        loss.backward()
        optimizer_d.step()
        continued[dtype].append(loss.item())
    print(f"{dtype} | new optimizer | after {LOG_EVERY} more epochs "
          f"≈{continued[dtype][-1]:.3e}")
floor = momentum_losses[-1]
assert floor / 3 < continued[torch.float32][-1] < 3 * floor, "float32 left the floor"
print("float32, new optimizer: within a factor 3 of the final loss: True")
assert continued[torch.float64][-1] < floor / 10, "float64 did not go lower"
print("float64, new optimizer: more than 10 times below it: True")

# %% [markdown]
# Both runs restart the momentum; only the float64 one goes on down. So the flat end of
# the momentum curve is the float32 floor (rounding), not a minimum of the loss.
#
# ## 4. 保存、加载模型 · Saving and loading
#
# ### 4.1 What a `state_dict` holds
#
# A `state_dict` maps names to tensors. The note says only layers with trainable
# parameters appear in it. Here are two layers with no trainable parameter at all: a
# frozen `Linear`, and a `BatchNorm1d(affine=False)` that has only *buffers* (its
# running statistics):

# %%
bn_model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, affine=False)).to(device)
bn_model[0].requires_grad_(False)  # frozen: weight and bias no longer train
params = dict(bn_model.named_parameters())
for name, tensor in bn_model.state_dict().items():
    kind = "parameter" if name in params else "buffer"
    trainable = name in params and params[name].requires_grad
    print(f"{name:<22} {kind:<9} trainable={trainable!s:<5} {tuple(tensor.shape)}")
assert not any(p.requires_grad for p in bn_model.parameters())
assert {"0.weight", "0.bias", "1.running_mean", "1.running_var"} <= set(
    bn_model.state_dict())

# %% [markdown]
# > **Erratum (勘误)** — the note wrote "只有那些参数可以训练的layer才会被保存到模型的state_dict中"
# > (only layers with trainable parameters are saved in the `state_dict`).
# > It holds every parameter, trainable or frozen, and every persistent buffer: above,
# > neither layer has a trainable parameter and both are saved, `BatchNorm1d` with
# > `running_mean`, `running_var` and `num_batches_tracked`. Forgetting the buffers
# > would change the model's output in eval mode (exercise 4).
#
# The note also says the `state_dict` is generated automatically (自动生成) once the
# model or optimizer is defined. That is true, and worth making precise: it is not a
# stored snapshot. Each call builds a new dictionary whose tensors share memory with
# the live parameters:

# %%
state = hand_model.state_dict()
print("a new dictionary on each call:", hand_model.state_dict() is not state)
print("its tensors share the parameters' memory:",
      state["0.bias"].data_ptr() == hand_model[0].bias.data_ptr())
snapshot = copy.deepcopy(state)
with torch.no_grad():
    hand_model[0].bias += 1.0  # any later training step would do the same
print("state_dict() follows the model:",
      torch.equal(state["0.bias"], hand_model[0].bias))
print("deepcopy kept the old values:", torch.equal(snapshot["0.bias"] + 1.0,
                                                     hand_model[0].bias))
_ = hand_model.load_state_dict(snapshot)  # undo the change

# %% [markdown]
# So a `state_dict` taken early changes as training continues; take `copy.deepcopy`
# (or save it) to keep a snapshot. An optimizer's `state_dict` exists as soon as the
# optimizer does, but its per-parameter state is empty until the first `step()`,
# which for SGD with momentum adds a momentum buffer per parameter (with `momentum=0`
# SGD keeps no state and it stays empty; the solution of exercise 1 prints it):

# %%
fresh_optimizer = torch.optim.SGD(hand_model.parameters(), lr=LR, momentum=MOMENTUM)
print("before the first step():", fresh_optimizer.state_dict()["state"])
del fresh_optimizer

# %% [markdown]
# The note prints `optimizer.state_dict()`, which prints over a thousand numbers (large
# tensors are shortened with `...`); we print its structure. After training, SGD
# with momentum holds the hyperparameters and, per parameter, a momentum buffer of the
# parameter's shape:

# %%
opt_state = optimizer.state_dict()
group = opt_state["param_groups"][0]
print("keys:", list(opt_state))
print("param_groups[0]:", {k: group[k] for k in ("lr", "momentum", "params")})
for index, buffers in opt_state["state"].items():
    print(f"state[{index}]:", {k: tuple(v.shape) for k, v in buffers.items()})

# %% [markdown]
# Those momentum buffers are why a checkpoint must store the optimizer too (4.4).
#
# ### 4.2 Save the `state_dict`, load it into a fresh model
#
# The note loads into `TheModelClass(*args, **kwargs)`, a placeholder: a `state_dict`
# holds tensors only, so the code of the class must exist at load time.

# %%
try:
    eval("TheModelClass(*args, **kwargs)")
except NameError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# With the real class. `map_location=device` lets a file saved on a GPU load on a
# machine without one.

# %%
new_model = MLP(DIM_INPUT, DIM_HIDDEN, DIM_OUTPUT).to(device)
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "mlp_state_dict.pt"
    torch.save(hand_model.state_dict(), path)
    result = new_model.load_state_dict(torch.load(path, map_location=device))
print(result)
new_model.eval()
with torch.no_grad():
    assert torch.equal(new_model(X), hand_model(X))
print("outputs of the loaded model are identical: True")

# %% [markdown]
# The note's `new_model = TheModelClass(*args, **kwargs)` comes from the PyTorch
# tutorial on saving and loading (Further reading), where it is a placeholder
# (`NameError` above if run as is): replace it with your class and its arguments,
# here `MLP(DIM_INPUT, DIM_HIDDEN, DIM_OUTPUT)`, then `load_state_dict`. The `assert`
# above shows the outputs are bit-identical.
#
# ### 4.3 Saving the whole model, and why `torch.load` refuses it
#
# `torch.save(model, PATH)` pickles the object itself. Since PyTorch 2.6, `torch.load`
# defaults to `weights_only=True`, an unpickler that only rebuilds tensors and plain
# containers. A pickled `MLP` is refused:

# %%
def short_error(err: Exception) -> str:
    """The error's type, first sentence and the global it refused (no colour codes)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(err))
    refused = re.search(r"Unsupported global: .*? by default", text)
    return (f"{type(err).__name__}: {text.split('.')[0]}.\n"
            f"    ... {refused.group(0) if refused else ''}")


with tempfile.TemporaryDirectory() as tmp:
    # our MLP class, and a plain nn.Sequential like the note's model
    wholes = {"MLP": hand_model, "nn.Sequential": nn.Sequential(nn.ReLU())}
    for name, whole in wholes.items():
        path = Path(tmp) / "whole.pt"
        torch.save(whole, path)
        try:
            torch.load(path)
        except pickle.UnpicklingError as err:
            print(f"{name}: {short_error(err)}")
        else:
            raise AssertionError(f"torch.load accepted a whole {name}")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `model = torch.load(PATH)` for a model saved
# > whole with `torch.save(model, PATH)`. That ran before PyTorch 2.6; 2.6 made
# > `weights_only=True` the default, and under that default it raises `UnpicklingError`,
# > for our class and for a plain `nn.Sequential` alike (cell above). Save and load
# > the `state_dict` instead (section 4.2); it also survives renaming or moving the
# > class.
#
# Why not just pass `weights_only=False`? Because a pickle can name *any* callable to
# run while it is loaded. This harmless object calls `print`; a malicious file could
# call `os.system` instead:

# %%
class Payload:
    """Unpickling this object calls print(...); any function could stand there."""

    def __reduce__(self):
        return (print, ("this line ran inside torch.load",))


with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "untrusted.pt"
    torch.save(Payload(), path)
    loaded = torch.load(path, weights_only=False)
    print("torch.load returned:", loaded)
    try:
        torch.load(path)
    except pickle.UnpicklingError as err:
        print(short_error(err))

# %% [markdown]
# `weights_only=False` executed the file's code; the default refused it. Use
# `weights_only=False` only on files you made yourself or fully trust. The safe habit
# is a `state_dict` (or a checkpoint dictionary of them) loaded with the default
# `weights_only=True`; for a trusted whole-model file, the error message's own advice,
# `torch.serialization.safe_globals([...])`, allowlists just the classes it needs.
#
# ### 4.4 A checkpoint: model, optimizer and epoch
#
# To resume training, save everything the next step depends on: the weights, the
# optimizer's state (momentum buffers), the epoch and the history so far. We train for
# `RESUME_EPOCH` epochs, save, and throw the objects away:

# %%
model = copy.deepcopy(init_model)
optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
losses = train_full_batch(model, optimizer, RESUME_EPOCH)
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "checkpoint.pt"
    torch.save({"epoch": RESUME_EPOCH, "model": model.state_dict(),
                "optimizer": optimizer.state_dict(), "losses": losses}, path)
    del model, optimizer, losses  # as if the process had stopped here
    checkpoint = torch.load(path, map_location=device)  # weights_only=True suffices
print("checkpoint keys:", list(checkpoint), "| epoch", checkpoint["epoch"])

# %% [markdown]
# Resume: rebuild model and optimizer, load both states, make sure the model is in
# training mode (the note's `new_model.eval()` is for inference), and train the
# remaining epochs.

# %%
model = MLP(DIM_INPUT, DIM_HIDDEN, DIM_OUTPUT).to(device)
model.load_state_dict(checkpoint["model"])
optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
optimizer.load_state_dict(checkpoint["optimizer"])
model.train()
resumed_losses = checkpoint["losses"] + train_full_batch(
    model, optimizer, NUM_EPOCHS - checkpoint["epoch"])
assert resumed_losses == momentum_losses  # exact, every epoch
print(f"resumed run == uninterrupted run for all {NUM_EPOCHS} epochs: True")

# %% [markdown]
# Every one of the `NUM_EPOCHS` losses equals the uninterrupted run of section 3
# exactly. Drop
# the optimizer's state and the run no longer matches, because the momentum restarts
# from zero:

# %%
model = MLP(DIM_INPUT, DIM_HIDDEN, DIM_OUTPUT).to(device)
model.load_state_dict(checkpoint["model"])
optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
fresh_momentum = train_full_batch(model, optimizer, AFTER_RESUME)
for offset in [*range(0, AFTER_RESUME - 1, AFTER_RESUME // 3), AFTER_RESUME - 1]:
    epoch = RESUME_EPOCH + offset
    print(f"epoch {epoch:>3d} | loss ≈{momentum_losses[epoch]:.4f} with optimizer "
          f"state | ≈{fresh_momentum[offset]:.4f} without")
with_state = momentum_losses[RESUME_EPOCH:RESUME_EPOCH + AFTER_RESUME]
assert fresh_momentum[0] == with_state[0]
assert all(a != b for a, b in zip(fresh_momentum[1:], with_state[1:], strict=True)), (
    "the runs did not part ways: without momentum the optimizer has no state to lose")
print("same first loss, a different loss at every epoch after it: True")
assert fresh_momentum[-1] < with_state[-1], "restarting the momentum did not help"
print(f"after {AFTER_RESUME} epochs the run without state is lower: True")

# %% [markdown]
# The first loss is the same (same weights). From the next step on the runs part
# ways (the `assert`s check both): restarted from zero, the momentum sends the
# weights along another path, so the run is no longer the one that was checkpointed.
# Note the direction: here the run *without* the optimizer's state is lower after
# `AFTER_RESUME` epochs (the last `assert`; it held for each of seeds 0 to 19 in a
# check outside this notebook). Throwing away the velocity built up over the first
# `RESUME_EPOCH` epochs happens to help at this point. That is no argument for dropping
# the state: a checkpoint is there to continue the run you had, exactly, and only the
# full checkpoint does that.
#
# ## Summary
# - The hand-written update $\theta \leftarrow \theta - \eta\nabla_\theta L$ (clear the
#   grads, `backward()`, update under `torch.no_grad()`) equals `torch.optim.SGD`
#   without momentum, checked with `assert_close`; `zero_grad()` clears by setting
#   `.grad` to `None`, which gives the same next gradient as zeros.
# - From the same initial weights, momentum `MOMENTUM` reaches `TARGET_LOSS` in under
#   half the epochs and ends more than 10,000 times lower, at the float32 floor (a
#   float64 control goes on down; log-scale plot and `assert`s).
# - A `state_dict` holds every parameter, frozen or not, *and* the buffers (BatchNorm's
#   running statistics); it is rebuilt on each call from the live tensors, and loaded
#   into a freshly built `MLP` it gives bit-identical outputs.
# - `torch.load` refuses a pickled whole model under the `weights_only=True` default,
#   because `weights_only=False` runs whatever code the file names.
# - A checkpoint of model, optimizer and epoch resumes training exactly; without the
#   optimizer's state the run goes another way (here, for a while, even a lower one).
#
# ## Exercises
# 1. Set `MOMENTUM = 0.0` in the parameters cell. The notebook now stops at an
#    `assert` of section 3: which one, and why? Which later `assert`s of sections 3
#    and 4.4 would fail as well, and what does the optimizer's `state_dict` hold now?
#    What holds instead for the two curves of section 3?
# 2. Multiply `LR` by 10 and run section 3 with `SEED` = 0, 5 and 13. Does momentum
#    still win? (`plot_losses` refuses a curve that is not finite.)
# 3. Use `nn.MSELoss()` (the default `reduction="mean"`). Which `LR` makes the weights
#    follow the same path as `reduction="sum"` with `LR = 1e-4`, and how are the two
#    loss curves then related?
# 4. Add an `nn.BatchNorm1d(DIM_HIDDEN)` after the first layer of `MLP`, train it, and
#    show that a `state_dict` without its buffers gives different outputs in eval mode.
# 5. Write the momentum update $v \leftarrow \mu v + \nabla_\theta L$,
#    $\theta \leftarrow \theta - \eta v$ by hand and check it against
#    `torch.optim.SGD(momentum=MOMENTUM)` as in section 2.4.
#
# ## Further reading
# - [Saving and loading models](https://pytorch.org/tutorials/beginner/saving_loading_models.html)
# - [`torch.load` and `weights_only`](https://pytorch.org/docs/stable/generated/torch.load.html)
#   and [serialization notes](https://pytorch.org/docs/stable/notes/serialization.html)
# - [`torch.optim.SGD`](https://pytorch.org/docs/stable/generated/torch.optim.SGD.html)
# - [Autograd mechanics: locally disabling gradient computation](https://pytorch.org/docs/stable/notes/autograd.html#locally-disabling-gradient-computation)
# - [`nn.Module.state_dict`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.state_dict)
#
# ## Solutions
#
# Each cell works on its own names and copies of `init_model`, so the notebook's
# globals stay as they were. The runs are short: a few epochs answer each question.

# %% tags=["solution"] jupyter={"source_hidden": true}
# Exercise 1: with momentum 0, SGD is the hand update and keeps no state
model1 = copy.deepcopy(init_model)
optimizer1 = torch.optim.SGD(model1.parameters(), lr=LR, momentum=0.0)
curve1 = train_full_batch(model1, optimizer1, RESUME_EPOCH)
print("optimizer state after training:", optimizer1.state_dict()["state"])
restarted1 = copy.deepcopy(model1)  # a checkpoint without the optimizer
curve1 += train_full_batch(model1, optimizer1, NUM_EPOCHS - RESUME_EPOCH)
optimizer1b = torch.optim.SGD(restarted1.parameters(), lr=LR, momentum=0.0)
fresh1 = train_full_batch(restarted1, optimizer1b, AFTER_RESUME)
torch.testing.assert_close(curve1, hand_losses, rtol=1e-2, atol=0.0)  # rounding only
print("every epoch within 1% of the hand curve: True")
# section 3's asserts, with curve1 in place of momentum_losses
reached1 = next((e for e, loss in enumerate(curve1) if loss < TARGET_LOSS), None)
assert not (reached1 is not None and (
    reached["by hand"] is None or reached1 < reached["by hand"] / 2))
print("fails first: 'momentum needs less than half the epochs'")
assert not curve1[-1] < hand_losses[-1] / 1e4
print("fails too:   'momentum ends more than 10,000 times lower'")
assert not curve1[-LOG_EVERY] < 3 * curve1[-1]
print(f"fails too:   'the last {LOG_EVERY} epochs gained less than a factor 3'")
more1 = train_full_batch(model1, optimizer1, LOG_EVERY)  # no state: same as a new one
assert not curve1[-1] / 3 < more1[-1]
print("fails too:   'float32, new optimizer: within a factor 3 of the final loss'")
# section 4.4's asserts, with fresh1 and kept1 in place of fresh_momentum, with_state
kept1 = curve1[RESUME_EPOCH:RESUME_EPOCH + AFTER_RESUME]
assert fresh1 == kept1
print("fails in 4.4: 'a different loss at every epoch' (the runs are identical)")
assert not fresh1[-1] < kept1[-1]
print("fails in 4.4: 'the run without state is lower' (it is the same run)")

# %% tags=["solution"] jupyter={"source_hidden": true}
# Exercise 2: at 10 * LR it depends on the seed: plain descent wins by far (0),
# falls behind momentum (5), or the momentum run diverges (13)
def run_seed(seed: int, momentum: float, num_epochs: int) -> list[float]:
    """Section 3's run for another SEED, at 10 * LR; the global RNG is left alone."""
    with torch.random.fork_rng(devices=[]):
        gen = torch.Generator().manual_seed(seed)
        X_s = torch.randn(BATCH_SIZE, DIM_INPUT, generator=gen).to(device)
        y_s = torch.randn(BATCH_SIZE, DIM_OUTPUT, generator=gen).to(device)
        torch.manual_seed(seed)
        model_s = MLP(DIM_INPUT, DIM_HIDDEN, DIM_OUTPUT).to(device)
    opt = torch.optim.SGD(model_s.parameters(), lr=10 * LR, momentum=momentum)
    return train_full_batch(model_s, opt, num_epochs, X_s, y_s)


epochs2 = NUM_EPOCHS // 4  # enough to tell the three cases apart
final = {}
for seed in (0, 5, 13):
    final[seed] = tuple(run_seed(seed, mu, epochs2)[-1] for mu in (0.0, MOMENTUM))
    print(f"SEED {seed:>2} | loss after {epochs2} epochs: plain ≈{final[seed][0]:.3e}, "
          f"momentum ≈{final[seed][1]:.3e}")
assert final[0][0] < final[0][1] / 100, "SEED 0: plain descent did not win by far"
assert final[5][1] < final[5][0], "SEED 5: momentum did not win"
assert not torch.isfinite(torch.tensor(final[13][1])), "SEED 13: momentum stayed finite"
print("SEED 0: plain wins | SEED 5: momentum wins | SEED 13: momentum diverges: True")

# %% tags=["solution"] jupyter={"source_hidden": true}
# Exercise 3: the mean divides the sum by y.numel(), so LR must grow by that factor
scale3 = y.numel()  # BATCH_SIZE * DIM_OUTPUT
model3 = copy.deepcopy(init_model)
mean_curve3 = train_full_batch(
    model3, torch.optim.SGD(model3.parameters(), lr=LR * scale3), RESUME_EPOCH,
    criterion=nn.MSELoss())  # reduction="mean"
sum_model3 = copy.deepcopy(init_model)
sum_curve3 = train_full_batch(
    sum_model3, torch.optim.SGD(sum_model3.parameters(), lr=LR), RESUME_EPOCH)
for p_mean, p_sum in zip(model3.parameters(), sum_model3.parameters(), strict=True):
    torch.testing.assert_close(p_mean, p_sum)
torch.testing.assert_close([v * scale3 for v in mean_curve3], sum_curve3, rtol=1e-4,
                           atol=0.0)
print(f"LR * {scale3}: same weights after {RESUME_EPOCH} epochs: True")
print(f"same curve shape, every mean loss = sum loss / {scale3}: True")

# %% tags=["solution"] jupyter={"source_hidden": true}
# Exercise 4: without its buffers, a BatchNorm model loads but computes other outputs
def mlp_bn() -> nn.Sequential:
    """MLP with BatchNorm1d after the first layer."""
    return nn.Sequential(
        nn.Linear(DIM_INPUT, DIM_HIDDEN), nn.BatchNorm1d(DIM_HIDDEN), nn.ReLU(),
        nn.Linear(DIM_HIDDEN, DIM_OUTPUT)).to(device)


model4 = mlp_bn()
train_full_batch(model4, torch.optim.SGD(model4.parameters(), lr=LR,
                                         momentum=MOMENTUM), CHECK_STEPS)
buffers4 = {name for name, _ in model4.named_buffers()}
no_buffers = {k: v for k, v in model4.state_dict().items() if k not in buffers4}
full4, partial4 = mlp_bn(), mlp_bn()
full4.load_state_dict(model4.state_dict())
# num_batches_tracked is not listed: the dict above lacks the state_dict's _metadata,
# so BatchNorm takes it for a file older than that buffer and keeps its own counter
print("missing keys:", partial4.load_state_dict(no_buffers, strict=False).missing_keys)
for m in (model4, full4, partial4):
    m.eval()
with torch.no_grad():
    same_full = torch.equal(full4(X), model4(X))
    same_partial = torch.allclose(partial4(X), model4(X), atol=1e-3)
print("eval outputs | full state_dict identical:", same_full,
      "| without buffers close:", same_partial)
assert same_full and not same_partial

# %% tags=["solution"] jupyter={"source_hidden": true}
# Exercise 5: v <- mu * v + grad, theta <- theta - lr * v matches SGD(momentum)
by_hand5, by_sgd5 = copy.deepcopy(init_model), copy.deepcopy(init_model)
velocity = [torch.zeros_like(p) for p in by_hand5.parameters()]
for _ in range(CHECK_STEPS):
    loss = loss_fn(by_hand5(X), y)
    by_hand5.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param, v in zip(by_hand5.parameters(), velocity, strict=True):
            v.mul_(MOMENTUM).add_(param.grad)
            param -= LR * v
optimizer5 = torch.optim.SGD(by_sgd5.parameters(), lr=LR, momentum=MOMENTUM)
train_full_batch(by_sgd5, optimizer5, CHECK_STEPS)
for (name, p_hand), p_sgd in zip(by_hand5.named_parameters(), by_sgd5.parameters(),
                                 strict=True):
    torch.testing.assert_close(p_hand, p_sgd, msg=name)
print(f"after {CHECK_STEPS} steps the hand momentum matches torch.optim.SGD: True")
