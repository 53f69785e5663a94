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
# # 01 · Tensors · Pytorch基本操作
#
# Contents: [README](../README.md) | [02 MLP Training →](02_mlp_training.ipynb)
#
# Tensors are the one data structure everything else in PyTorch is built from. This
# notebook follows the note's first section (1.1 新建Tensor, 1.2 Tensor操作,
# 1.3 数据类型转化) and runs every line of it, fixing what no longer holds.

# %% [markdown]
# **What you will learn**
# - Create tensors with `torch.tensor` and predict their dtype, and see why the legacy
#   `torch.Tensor`/`torch.FloatTensor` constructors are best avoided.
# - Build tensors with `zeros`, `ones`, `full`, `*_like`, `arange`, `linspace`,
#   `logspace` and `eye`, and verify `linspace`/`logspace` against their formulas.
# - Compute a gradient with `backward` and an explicit `gradient` argument, and check it
#   against the vector-Jacobian product.
# - Index, assign and convert tensors, and prove that the NumPy bridge shares memory.
# - Move tensors between dtypes and devices.
#
# **Prerequisites**: Python and a little NumPy. The notebook runs on CPU in about 6 s;
# uses CUDA when present.

# %% [markdown]
# ## 0. 准备 · Setup
#
# Every notebook starts the same way: imports, then one cell of parameters (papermill
# can override them, e.g. `DEVICE="cuda"`), then one call that checks every parameter
# (a bad value stops the notebook with one line naming it), then the seed and the
# device.

# %%
import numpy as np
import torch

from helpers import Device, Seed, check_params, get_device, set_seed

# %% tags=["parameters"]
SEED = 0
DEVICE = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
check_params(globals(), SEED=Seed(), DEVICE=Device())

# %%
# NBVAL_IGNORE_OUTPUT
# not compared: versions and the device differ between installs
generator = set_seed(SEED)
device = get_device(DEVICE)
print(f"torch {torch.__version__} | numpy {np.__version__} | device {device}")

# %% [markdown]
# ## 1. 新建Tensor · Creating tensors
#
# ### 1.1 `torch.tensor` infers the dtype from the data
#
# The note's first comment says a new tensor is a `torch.FloatTensor` by default. That
# is true of the legacy constructor `torch.Tensor`, not of `torch.tensor`, the function
# the PyTorch docs recommend: it looks at the data.

# %%
examples = {
    "torch.tensor([[1, 2], [3, 4]])": torch.tensor([[1, 2], [3, 4]]),
    "torch.tensor([[1., 2.], [3., 4.]])": torch.tensor([[1.0, 2.0], [3.0, 4.0]]),
    "torch.tensor([True, False])": torch.tensor([True, False]),
    "torch.tensor(np.array([1.0, 2.0]))": torch.tensor(np.array([1.0, 2.0])),
    "torch.Tensor([[1, 2], [3, 4]])": torch.Tensor([[1, 2], [3, 4]]),
}
for code, t in examples.items():
    print(f"{code:<36} -> {t.dtype}")
print("default float dtype:", torch.get_default_dtype())

# %% [markdown]
# > **Erratum (勘误)** — the note wrote "默认torch.FloatTensor" (the default is a
# > `FloatTensor`). Only the legacy `torch.Tensor(...)` always gives `float32`;
# > `torch.tensor` keeps integers as `int64`, booleans as `bool` and a NumPy `float64`
# > array as `float64`, as the cell above prints. Python floats become the default
# > float dtype, `float32`.
#
# The typed constructors of the note still run and give the dtypes their names promise:

# %%
typed = {
    "torch.Tensor": torch.Tensor([[1, 2], [3, 4], [5, 6]]),
    "torch.DoubleTensor": torch.DoubleTensor([[1, 2], [3, 4], [5, 6]]),
    "torch.LongTensor": torch.LongTensor([[1, 2], [3, 4], [5, 6]]),
    "torch.ShortTensor": torch.ShortTensor([[1, 2], [3, 4], [5, 6]]),
    "torch.IntTensor": torch.IntTensor([[1, 2], [3, 4], [5, 6]]),
}
for name, t in typed.items():
    print(f"{name:<19} -> {t.dtype}, shape {tuple(t.shape)}")
modern = torch.tensor([[1, 2], [3, 4], [5, 6]], dtype=torch.int16)
assert torch.equal(modern, typed["torch.ShortTensor"])

# %% [markdown]
# ### 1.2 `torch.Tensor(...)` is ambiguous: data or shape?
#
# The note says the capitalised `Tensor()`/`FloatTensor()` "take a shape". It takes
# both, and which one it means depends on the type of the arguments:

# %%
from_ints = torch.Tensor(3, 2)  # two ints: a shape, memory left uninitialised
from_list = torch.Tensor([3, 2])  # one list: data
from_int = torch.Tensor(3)  # one int: a shape again, not the number 3
print("torch.Tensor(3, 2).shape  ", tuple(from_ints.shape))
print("torch.Tensor([3, 2])      ", from_list)
print("torch.Tensor(3).shape     ", tuple(from_int.shape), "vs torch.tensor(3):",
      torch.tensor(3))

# %% [markdown]
# > **Erratum (勘误)** — the note wrote "大写的Tensor()或者FloatTensor()接受的是shape"
# > (the capitalised constructors take a shape), and then passes data to them itself.
# > They accept either: `torch.Tensor(3, 2)` is an uninitialised 3×2 tensor,
# > `torch.Tensor([3, 2])` holds the values 3 and 2 (cell above). Say what you mean
# > instead: `torch.tensor(data, dtype=...)` for data, `torch.empty(shape)` or
# > `torch.zeros(shape)` for a shape.
#
# ### 1.3 Factory functions: `zeros`, `ones`, `full`, `eye` and the `*_like` family
#
# The note lists these as signatures, not code (`torch.zeros(*sizes, out=None, ..)` does
# not run). Here is each one called:

# %%
template = torch.arange(6.0).reshape(3, 2)
factories = {
    "zeros((3, 2))": torch.zeros((3, 2)),
    "ones(2, 2)": torch.ones(2, 2),
    "eye(2)": torch.eye(2),
    "full((2, 2), 7)": torch.full((2, 2), 7),
    "full((2, 2), 7.0)": torch.full((2, 2), 7.0),
    "zeros_like(template)": torch.zeros_like(template),
    "full_like(template, 5)": torch.full_like(template, 5),
}
for code, t in factories.items():
    print(f"{code:<23} {tuple(t.shape)} {t.dtype}: {t.flatten().tolist()}")

# %% [markdown]
# `ones` is all ones; the identity matrix is `eye`. `full` infers its dtype from
# `fill_value` (an int gives `int64`), and the `*_like` functions copy the template's
# shape and dtype, so `full_like(template, 5)` is float.
#
# > **Erratum (勘误)** — the note wrote that `torch.ones` and `torch.ones_like` return
# > a "单位矩阵" (an identity matrix). They return a tensor of ones; the identity matrix
# > is `torch.eye(n)` (both printed above).
#
# The note's block is not runnable Python. We compile three of its lines: signatures
# with `..` or `…` fail, and the `full_like` line would fail even without the `…`,
# because its comment has no `#`:

# %%
note_lines = [
    "torch.zeros(*sizes, out=None, ..)",
    "torch.full(size, fill_value, …)",
    "torch.full_like(input, fill_value) 返回与input相同size",
]
for line in note_lines:
    try:
        compile(line, "<note>", "exec")
    except SyntaxError as err:
        print(f"{line:<38} -> {type(err).__name__}: {err.msg}")

# %% [markdown]
# > **Erratum (勘误)** — the note's creation-function block mixes signatures
# > (`out=None, ..`, `…`) with code, and the `full_like` line lacks the `#` before its
# > comment: every one of these lines raises `SyntaxError` (cell above). The cell in
# > section 1.3 calls each function for real.
#
# ### 1.4 Ranges: `arange`, `linspace`, `logspace`
#
# `arange` steps from `start` up to, but not including, `end`. `linspace` returns
# `steps` evenly spaced points *including* both ends, so the points are
#
# $$x_i = \text{start} + i \cdot \frac{\text{end} - \text{start}}{\text{steps} - 1},
# \qquad i = 0, \dots, \text{steps} - 1,$$
#
# and `logspace` returns $\text{base}^{x_i}$ for the same $x_i$ (base 10 by default).
# We implement both formulas and compare them with PyTorch:

# %%
start, end, steps = 0.0, 2.0, 5
i = torch.arange(steps)
linspace_ours = start + i * (end - start) / (steps - 1)
torch.testing.assert_close(linspace_ours, torch.linspace(start, end, steps))
for base in (10.0, 2.0):
    logspace_ours = base ** linspace_ours
    theirs = torch.logspace(start, end, steps, base=base)
    torch.testing.assert_close(logspace_ours, theirs)
print("arange(0, 5, 1):  ", torch.arange(0, 5, 1).tolist(), "(5 is excluded)")
print("linspace(0, 2, 5):", torch.linspace(start, end, steps).tolist())
print("logspace(0, 2, 5):", [round(v, 3) for v in torch.logspace(0, 2, 5).tolist()])

# %% [markdown]
# The note says `steps=100` is a default. It used to be (with a deprecation warning);
# in current PyTorch `steps` is required:

# %%
for fn in (torch.linspace, torch.logspace):
    try:
        fn(0, 1)
    except TypeError as err:
        first_line = str(err).splitlines()[0]
        print(f"{fn.__name__}(0, 1) -> {type(err).__name__}: {first_line}")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `torch.linspace(start, end, steps=100, …)` and
# > the same for `logspace`, and described `steps` as "间隔中的插值数目" (the number of
# > points interpolated between the ends). `steps` has no default any more (`TypeError`
# > above), and it counts *all* points, both ends included: `linspace(0, 2, 5)` has 5
# > points. `arange(start, end)` excludes `end`.
#
# ## 2. 梯度 · `requires_grad` and `backward`
#
# The note creates `x` with `requires_grad=True`, computes `y = 2 * x` and calls
# `y.backward(torch.ones((3, 2)))`. Its comment says the gradient argument defaults to
# `torch.tensor([1])`. For a non-scalar `y` there is no default at all:

# %%
x = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
y = 2 * x
try:
    y.backward()
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# > **Erratum (勘误)** — the note's comment "默认torch.tensor([1])" suggests that
# > `backward()` fills in a gradient of 1. It does so only for a scalar (one-element)
# > output; for any other shape you must pass `gradient=` yourself (the `RuntimeError`
# > above).
#
# `y.backward(v)` computes the vector-Jacobian product $v^\top J$: for $y = 2x$ the
# Jacobian is $2I$, so `x.grad` must equal $2v$. Any $v$ works, not only ones:

# %%
v = torch.randn(3, 2, generator=generator)
y.backward(v)
torch.testing.assert_close(x.grad, 2 * v)  # v^T J with J = 2I
print("x.grad == 2 * v:", torch.equal(x.grad, 2 * v), "| shape", tuple(x.grad.shape))

# %% [markdown]
# Which dtypes can require a gradient? The note quotes the old error message
# "Only Tensors of floating point dtype can require gradients"; today's says more:

# %%
try:
    torch.tensor([1, 2], requires_grad=True)
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
z = torch.tensor([1 + 2j], requires_grad=True)
print("a complex tensor can require grad:", z.requires_grad)

# %% [markdown]
# > **Erratum (勘误)** — the note's comment says only floating-point tensors can require
# > gradients; complex tensors can too (cell above). Integer and bool tensors cannot.
#
# ## 3. Tensor操作 · Shape, indexing and assignment
#
# `size()` and `.shape` are the same `torch.Size`; `size(dim)` picks one dimension.
# Indexing with `a[row, col]` reads and writes in place.

# %%
a = torch.randn(3, 2, generator=generator)
assert a.size() == a.shape == torch.Size([3, 2])
print("a.size():", a.size(), "| a.size(0):", a.size(0), "| a.shape[1]:", a.shape[1])
a[0, 1] = 10
print("after a[0, 1] = 10:", a[0, 1].item())

# %% [markdown]
# Slices are views: writing through one changes the original. Boolean masks and
# integer lists make copies when read, but write in place when assigned to.

# %%
b = torch.arange(12).reshape(3, 4)
row = b[1]  # a view of the second row
row[0] = 100
b[b % 2 == 1] = -1  # mask assignment writes into b
print(b)
print("row shares b's memory:", row.data_ptr() == b[1].data_ptr())

# %% [markdown]
# Writing through `row` changed `b`, and the mask assignment set every odd number to -1.
#
# ## 4. 数据类型转化 · The NumPy bridge and dtype conversion
#
# The note converts with `a.numpy()`, `torch.from_numpy(b)` and `.float()` without
# saying that the first two copy nothing: the tensor and the array share one buffer.

# %%
a = torch.zeros(2, 3)
b = a.numpy()
c = torch.from_numpy(b)
b[0, 0] = 99.0  # write through NumPy
print("a[0, 0] =", a[0, 0].item(), "| c[0, 0] =", c[0, 0].item())
assert np.shares_memory(b, c.numpy()) and a.data_ptr() == c.data_ptr()

# %% [markdown]
# One write through the NumPy array showed up in both tensors. And `.float()` copies
# only when the dtype changes: on a tensor that is already `float32` it returns the very
# same object.

# %%
d = c.float()
print("c.float() is c:", d is c)
e = torch.from_numpy(np.array([1.0, 2.0]))  # NumPy's default dtype is float64
print("from_numpy(float64 array).dtype:", e.dtype, "| .float().dtype:", e.float().dtype)
f = e.float()
f[0] = -1.0
print("after writing into the converted copy, e[0] =", e[0].item())

# %% [markdown]
# Two things stop `.numpy()`: a tensor that requires grad, and a tensor on a GPU. The
# fix is to say what you want: `detach()` leaves the graph, `cpu()` copies to the host.

# %%
w = torch.ones(2, requires_grad=True)
try:
    w.numpy()
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
print(w.detach().cpu().numpy())

# %% [markdown]
# Other conversions use `.to(dtype)` or the short methods (`.long()`, `.double()`,
# `.half()`, `.bool()`). Casting a float to an integer truncates toward zero:

# %%
t = torch.tensor([-1.7, -0.5, 0.5, 1.7])
print("to(torch.int64):", t.to(torch.int64).tolist())
print(".double():", t.double().dtype, "| .bool():", t.bool().tolist())

# %% [markdown]
# ## 5. 设备 · Moving tensors to a device
#
# `helpers.get_device` chose `device` in the setup cell (CUDA when present, else MPS,
# else CPU). `.to(device)` returns a tensor on that device; if the tensor is already
# there it returns the same object, otherwise a copy. Creating a tensor directly on the
# device avoids the copy.

# %%
cpu_tensor = torch.ones(2, 2)
moved = cpu_tensor.to(device)
direct = torch.ones(2, 2, device=device)
assert moved.device.type == direct.device.type == device.type
print("same object after .to(device):", moved is cpu_tensor)

# %% [markdown]
# A leaf tensor that requires grad is no longer a leaf after a move to another device:
# the copy is the result of an operation. Create it on the device instead (notebook 03
# meets this bug in the note's linear regression).

# %%
leaf = torch.ones(2, requires_grad=True, device=device)
copy = leaf.to(device, dtype=torch.float64)
print("created on device:", leaf.is_leaf, "| after .to(another dtype):", copy.is_leaf)

# %% [markdown]
# A tensor created on its device with `requires_grad=True` is a leaf; one produced by
# `.to(...)` that changes anything is not, and its `.grad` stays empty.
#
# ## Summary
# - `torch.tensor(data)` infers the dtype (`int64`, `float32`, `bool`, NumPy's
#   `float64`); the legacy `torch.Tensor(...)` always makes `float32` and reads ints as
#   a shape.
# - The factory functions build tensors from shapes and values; `linspace` and
#   `logspace` match $x_i = \text{start} + i\,\Delta$ with
#   $\Delta = (\text{end}-\text{start})/(\text{steps}-1)$ and $\text{base}^{x_i}$;
#   `steps` is required.
# - `y.backward(v)` computes $v^\top J$; a non-scalar output needs an explicit `v`.
# - Slices are views, `from_numpy`/`.numpy()` share memory, `.float()` on a float tensor
#   is a no-op.
# - `.to(device)` moves (or returns the same tensor); create tensors on their device.
#
# ## Exercises
# 1. Change `steps` in section 1.4 to 1. What do `linspace` and our formula do? Fix the
#    formula for that case.
# 2. In section 2, replace `y = 2 * x` with `y = x ** 2`. What must `x.grad` equal for a
#    given `v`? Add the `assert`.
# 3. Make `b` in section 4 a `float64` array. Does `torch.from_numpy(b)` still share
#    memory? Does `torch.tensor(b)`?
# 4. Index `b` in section 3 with a list, `b[[0, 2]]`, write into the result, and check
#    whether `b` changed.
#
# ## Further reading
# - [Tensors tutorial](
#   https://pytorch.org/tutorials/beginner/basics/tensorqs_tutorial.html)
# - [`torch.tensor`](https://pytorch.org/docs/stable/generated/torch.tensor.html) and
#   [tensor creation ops](https://pytorch.org/docs/stable/torch.html#creation-ops)
# - [Autograd mechanics](https://pytorch.org/docs/stable/notes/autograd.html)
# - [Tensor views](https://pytorch.org/docs/stable/tensor_view.html)
