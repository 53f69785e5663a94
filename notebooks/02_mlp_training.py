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
# - Implement the gradient-descent update by hand (zero the grads, backward, update
#   under `torch.no_grad()`) and verify it equals `torch.optim.SGD`.
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
# `backward`). The notebook runs on CPU in about 8 s; uses CUDA when present.

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
# 101,110 parameters and only 64 × 10 targets: the network can fit this noise exactly,
# so the loss below measures optimisation, not learning anything that generalises.
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
# The gradients were already computed by `backward()`; `no_grad` does not stop or
# pause them, it only keeps the update out of the graph.
#
# > **Erratum (勘误)** — the note wrote "参数优化前使用no_grad暂停梯度更新" and
# > "参数更新前停止梯度传播" (no_grad pauses the gradient update / stops gradient
# > propagation). `torch.no_grad()` stops autograd from *recording* operations; the
# > update of a parameter must happen inside it because an in-place change of a leaf
# > that requires grad is refused otherwise (`RuntimeError` above).
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
# The fixed loop, as a function so that section 2.3 can run it again. `zero_grad()`
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
# ### 2.3 The hand update is `torch.optim.SGD`
#
# `torch.optim.SGD` without momentum applies exactly $\theta \leftarrow \theta - \eta
# \nabla_\theta L$. We take `CHECK_STEPS` steps each way from the same weights and
# compare every parameter:

# %%
def train_full_batch(model: nn.Module, optimizer: torch.optim.Optimizer,
                     num_epochs: int) -> list[float]:
    """Full-batch training with an optimizer; return the loss of every epoch."""
    losses = []
    for _ in range(num_epochs):
        loss = loss_fn(model(X), y)
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
# > **Erratum (勘误)** — the note's 1.3 reuses the `model` that its 1.2 loop trained,
# > so the optimizer starts from a loss near 0 and the two methods cannot be compared;
# > the cell above prints both starting losses. Here both runs start from
# > `copy.deepcopy(init_model)`.
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
# `assert` above); its curve then flattens where float32 rounding stops further
# progress.
#
# ## 4. 保存、加载模型 · Saving and loading
#
# ### 4.1 What a `state_dict` holds
#
# A `state_dict` maps names to tensors. The note says only layers with trainable
# parameters appear in it. A layer with *buffers*, such as BatchNorm's running
# statistics, says otherwise; so does a frozen parameter:

# %%
bn_model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).to(device)
bn_model[0].weight.requires_grad_(False)  # frozen, but still state
params = dict(bn_model.named_parameters())
for name, tensor in bn_model.state_dict().items():
    kind = "parameter" if name in params else "buffer"
    trainable = name in params and params[name].requires_grad
    print(f"{name:<22} {kind:<9} trainable={trainable!s:<5} {tuple(tensor.shape)}")
assert {"1.running_mean", "1.running_var"} <= set(bn_model.state_dict())

# %% [markdown]
# > **Erratum (勘误)** — the note wrote "只有那些参数可以训练的layer才会被保存到模型的
# > state_dict中" (only layers with trainable parameters are saved in the `state_dict`).
# > It holds every parameter, trainable or frozen, and every persistent buffer:
# > `BatchNorm1d` contributes `running_mean`, `running_var` and `num_batches_tracked`
# > (cell above). Forgetting the buffers would change the model's output in eval mode.
#
# The note also calls the `state_dict` something PyTorch "generates automatically" once
# the model exists. It is built on each call, and its tensors share memory with the
# live parameters:

# %%
state = hand_model.state_dict()
snapshot = copy.deepcopy(state)
with torch.no_grad():
    hand_model[0].bias += 1.0  # any later training step would do the same
print("state_dict() follows the model:",
      torch.equal(state["0.bias"], hand_model[0].bias))
print("deepcopy kept the old values:", torch.equal(snapshot["0.bias"] + 1.0,
                                                     hand_model[0].bias))
_ = hand_model.load_state_dict(snapshot)  # undo the change

# %% [markdown]
# > **Erratum (勘误)** — the note wrote "state_dict是在定义了model或optimizer之后pytorch
# > 自动生成的" (generated automatically once the model is defined). `state_dict()`
# > builds a new dictionary on each call whose tensors are the live parameters, so it
# > changes when training continues (cell above); take `copy.deepcopy` (or save it) to
# > keep a snapshot.
#
# The note prints `optimizer.state_dict()`. For SGD with momentum it holds the
# hyperparameters and, per parameter, a momentum buffer of the parameter's shape:

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
# > **Erratum (勘误)** — the note wrote `new_model = TheModelClass(*args, **kwargs)`,
# > which is a placeholder (`NameError` above); instantiate the real class with its
# > real arguments, here `MLP(DIM_INPUT, DIM_HIDDEN, DIM_OUTPUT)`, then
# > `load_state_dict`. The `assert` above shows the outputs are bit-identical.
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
    path = Path(tmp) / "mlp_whole.pt"
    torch.save(hand_model, path)
    try:
        torch.load(path)
    except pickle.UnpicklingError as err:
        print(short_error(err))

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `model = torch.load(PATH)` for a model saved
# > whole with `torch.save(model, PATH)`. Under the `weights_only=True` default of
# > PyTorch ≥ 2.6 this raises `UnpicklingError` (cell above). Save and load the
# > `state_dict` instead (section 4.2); it also survives renaming or moving the class.
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
# Resume: rebuild model and optimizer, load both states, put the model back in training
# mode (the note's `new_model.eval()` is for inference), and train the remaining epochs.

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
# Every one of the 500 losses equals the uninterrupted run of section 3 exactly. Drop
# the optimizer's state and the run no longer matches, because the momentum restarts
# from zero:

# %%
model = MLP(DIM_INPUT, DIM_HIDDEN, DIM_OUTPUT).to(device)
model.load_state_dict(checkpoint["model"])
optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
fresh_momentum = train_full_batch(model, optimizer, AFTER_RESUME)
for offset in range(0, AFTER_RESUME, AFTER_RESUME // 3):
    epoch = RESUME_EPOCH + offset
    print(f"epoch {epoch:>3d} | loss ≈{momentum_losses[epoch]:.4f} with optimizer "
          f"state | ≈{fresh_momentum[offset]:.4f} without")
with_state = momentum_losses[RESUME_EPOCH:RESUME_EPOCH + AFTER_RESUME]
assert fresh_momentum[0] == with_state[0]
assert all(a != b for a, b in zip(fresh_momentum[1:], with_state[1:], strict=True)), (
    "the runs did not part ways: without momentum the optimizer has no state to lose")
print("same first loss, a different loss at every epoch after it: True")

# %% [markdown]
# The first loss is the same (same weights). From the next step on the runs part
# ways (the `assert`s check both): restarted from zero, the momentum sends the
# weights along another path, so the run is no longer the one that was checkpointed.
#
# ## Summary
# - The hand-written update $\theta \leftarrow \theta - \eta\nabla_\theta L$ (zero the
#   grads, `backward()`, update under `torch.no_grad()`) equals `torch.optim.SGD`
#   without momentum, checked with `assert_close`.
# - From the same initial weights, momentum 0.9 drives the loss down several times
#   faster than plain gradient descent (log-scale plot).
# - A `state_dict` holds parameters *and* buffers (BatchNorm's running statistics);
#   loaded into a freshly built `MLP`, it gives bit-identical outputs.
# - `torch.load` refuses a pickled whole model under the `weights_only=True` default,
#   because `weights_only=False` runs whatever code the file names.
# - A checkpoint of model, optimizer and epoch resumes training exactly; without the
#   optimizer's state it does not.
#
# ## Exercises
# 1. Set `MOMENTUM = 0.0` in the parameters cell. Which `assert`s of sections 3 and
#    4.4 now fail, and why? Which new `assert` holds for the two curves of section 3?
# 2. Change `LR` to `1e-3`. What happens to each curve, and which `assert` fails?
#    (`plot_losses` will tell you if a loss became infinite.)
# 3. Use `nn.MSELoss()` (the default `reduction="mean"`) and find the `LR` that gives
#    the same curves as `reduction="sum"` with `LR = 1e-4`.
# 4. Add an `nn.BatchNorm1d(DIM_HIDDEN)` after the first layer of `MLP`, train it, and
#    show that a `state_dict` without its buffers gives different outputs in eval mode.
# 5. Write the momentum update $v \leftarrow \mu v + \nabla_\theta L$,
#    $\theta \leftarrow \theta - \eta v$ by hand and check it against
#    `torch.optim.SGD(momentum=MOMENTUM)` as in section 2.3.
#
# ## Further reading
# - [Saving and loading models](https://pytorch.org/tutorials/beginner/saving_loading_models.html)
# - [`torch.load` and `weights_only`](https://pytorch.org/docs/stable/generated/torch.load.html)
#   and [serialization notes](https://pytorch.org/docs/stable/notes/serialization.html)
# - [`torch.optim.SGD`](https://pytorch.org/docs/stable/generated/torch.optim.SGD.html)
# - [Autograd mechanics: locally disabling gradient computation](https://pytorch.org/docs/stable/notes/autograd.html#locally-disabling-gradient-computation)
# - [`nn.Module.state_dict`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.state_dict)
