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
# # 01 · Tensors · Pytorch基本操作
#
# Contents: [README](../README.md) | [02 MLP Training →](02_mlp_training.ipynb)
#
# Tensors are the one data structure everything else in PyTorch is built from. This
# notebook follows the note's first section and runs every line of it, fixing what no
# longer holds. The note's three parts map onto ours: its 1.1 新建Tensor is our
# section 1 (creating tensors) and section 2 (its `requires_grad` lines); its
# 1.2 Tensor操作 is our section 3, which adds reshaping, broadcasting and matrix
# products; its 1.3 数据类型转化 is our section 4; section 5 moves tensors to a
# device. Subsection numbers such as "1.2" below are this notebook's own.

# %% [markdown]
# **What you will learn**
# - Create tensors with `torch.tensor` and predict their dtype, and see why the legacy
#   `torch.Tensor`/`torch.FloatTensor` constructors are best avoided.
# - Build tensors with `zeros`, `ones`, `full`, `*_like`, `arange`, `linspace`,
#   `logspace` and `eye`, and verify `linspace`/`logspace` against their formulas.
# - Compute a gradient with `backward`, check it against the vector-Jacobian product,
#   tell a leaf from a computed tensor, and see when autograd refuses an in-place op.
# - Index, reshape, permute, concatenate, broadcast and multiply tensors, checking
#   every result's shape.
# - Convert tensors to and from NumPy and between dtypes (proving that the bridge shares memory, and when
#   `.numpy()` refuses) and move tensors to a device.
#
# **Prerequisites**: Python and a little NumPy. The notebook runs on CPU in about 8 s;
# uses CUDA when present.

# %% [markdown]
# ## 0. 准备 · Setup
#
# Every notebook starts the same way: imports, then one cell of parameters (papermill
# can override them, e.g. `DEVICE="cuda"`), then one call that checks every parameter
# (a bad value stops the notebook with one line naming it), then the seed and the
# device.

# %%
import warnings

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
# describes the legacy constructor `torch.Tensor`, not `torch.tensor`, the function the
# PyTorch docs recommend: it looks at the data.

# %%
int32_array = np.array([1, 2], dtype=np.int32)
examples = {
    "torch.tensor([[1, 2], [3, 4]])": torch.tensor([[1, 2], [3, 4]]),
    "torch.tensor([[1., 2.], [3., 4.]])": torch.tensor([[1.0, 2.0], [3.0, 4.0]]),
    "torch.tensor([True, False])": torch.tensor([True, False]),
    "torch.tensor(np.array([1.0, 2.0]))": torch.tensor(np.array([1.0, 2.0])),
    "torch.tensor(int32_array)": torch.tensor(int32_array),
    "torch.Tensor([[1, 2], [3, 4]])": torch.Tensor([[1, 2], [3, 4]]),
    "torch.Tensor(int32_array)": torch.Tensor(int32_array),
}
for code, t in examples.items():
    print(f"{code:<36} -> {t.dtype}")
print("default float dtype:", torch.get_default_dtype())

# %% [markdown]
# With `torch.tensor`, Python ints become `int64`, booleans `bool`, and a NumPy array
# keeps its dtype (`float64`, `int32`); Python floats become the *default float
# dtype*. The legacy `torch.Tensor(...)`, given a list or an array, ignores the data's
# type and uses the default float dtype. Given a tensor it converts nothing: it
# returns an alias of that tensor, in the tensor's own dtype and on its memory:

# %%
int_tensor = torch.tensor([1, 2])
alias = torch.Tensor(int_tensor)
same_memory = alias.data_ptr() == int_tensor.data_ptr()
assert alias.dtype == torch.int64 and same_memory
print("torch.Tensor(int_tensor) ->", alias.dtype, "| same memory:", same_memory)

# %% [markdown]
# The default float dtype is `float32` unless you change it, and `torch.Tensor`
# follows it:

# %%
previous = torch.get_default_dtype()
torch.set_default_dtype(torch.float64)
try:
    under_float64 = {
        "torch.Tensor([1, 2])": torch.Tensor([1, 2]),
        "torch.tensor([1., 2.])": torch.tensor([1.0, 2.0]),
        "torch.tensor([1, 2])": torch.tensor([1, 2]),
        "torch.FloatTensor([1, 2])": torch.FloatTensor([1, 2]),
        "torch.LongTensor([1, 2])": torch.LongTensor([1, 2]),
    }
finally:
    torch.set_default_dtype(previous)  # later cells rely on the usual default
for code, t in under_float64.items():
    print(f"{code:<26} -> {t.dtype}")
print("default restored:", torch.get_default_dtype())

# %% [markdown]
# With the default set to `float64`, `torch.Tensor` made `float64` (a `DoubleTensor`),
# so the note's "默认torch.FloatTensor" holds only under the usual default. The typed
# constructors (`FloatTensor`, `LongTensor`, ...) fix their dtype whatever the default,
# and Python ints still become `int64` with `torch.tensor`. The note's typed
# constructors run and give the dtypes their names promise:

# %%
typed = {
    "torch.Tensor": torch.Tensor([[1, 2], [3, 4], [5, 6]]),
    "torch.DoubleTensor": torch.DoubleTensor([[1, 2], [3, 4], [5, 6]]),
    "torch.LongTensor": torch.LongTensor([[1, 2], [3, 4], [5, 6]]),
    "torch.ShortTensor": torch.ShortTensor([[1, 2], [3, 4], [5, 6]]),
    "torch.IntTensor": torch.IntTensor([[1, 2], [3, 4], [5, 6]]),
}
for name, t in typed.items():
    kind = "float" if t.is_floating_point() else "integer"
    print(f"{name:<19} -> {t.dtype} ({kind}), shape {tuple(t.shape)}")
modern = torch.tensor([[1, 2], [3, 4], [5, 6]], dtype=torch.int16)
assert torch.equal(modern, typed["torch.ShortTensor"])
assert typed["torch.LongTensor"].dtype == torch.tensor([1]).dtype == torch.int64

# %% [markdown]
# The note's comment `# 整型` (integer types) stands before `ShortTensor` and
# `IntTensor`; `LongTensor`, on the line above it, is an integer type too: `int64`,
# the very dtype `torch.tensor` gives Python ints (cell above).
#
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
# One more reason to avoid the typed constructors: `torch.LongTensor` and the like are
# CPU types, and their `device=` accepts only `"cpu"`. (CUDA has separate legacy
# types, `torch.cuda.LongTensor` and so on; this notebook does not use them.) The
# `meta` device (shapes and dtypes, no data) exists in every build, so it stands in
# for another device here; the modern functions take `device=` like any other keyword.

# %%
shaped = torch.FloatTensor(3, 2)  # the note's advice: a shape, uninitialised values
print("torch.FloatTensor(3, 2)               ->", tuple(shaped.shape), shaped.dtype)
try:
    torch.LongTensor([1, 2], device="meta")
except RuntimeError as err:
    print(f"torch.LongTensor(..., device='meta') -> {type(err).__name__}: {err}")
print("torch.LongTensor(..., device='cpu')  ->",
      torch.LongTensor([1, 2], device="cpu").device)
on_meta = torch.tensor([1, 2], dtype=torch.int64, device="meta")
print("torch.tensor(..., device='meta')      ->", on_meta.device, on_meta.dtype)
cuda_type = torch.cuda.LongTensor  # defined in CPU-only builds too; not called here
print("a separate CUDA type:", f"{cuda_type.__module__}.{cuda_type.__name__}")

# %% [markdown]
# The note's advice "传入形状用FloatTensor" (pass a shape to `FloatTensor`) works:
# `torch.FloatTensor(3, 2)` is a 3×2 `float32` tensor (first line above). It is
# outdated rather than wrong: the PyTorch docs call this legacy constructor deprecated
# and its use discouraged, and recommend `torch.tensor`. It is also a CPU type whose
# `device=` accepts only `"cpu"` (the `RuntimeError` above), and CUDA needs a
# different legacy type. For a shape, use `torch.empty(shape, dtype=..., device=...)`
# or `torch.zeros(...)`, which take any device.
#
# ### 1.3 Factory functions: `zeros`, `ones`, `full`, `eye` and the `*_like` family
#
# The note lists these as signatures, not code (`torch.zeros(*sizes, out=None, ..)` does
# not run). Here is each one called, with the note's `torch.ones(1)` first:

# %%
template = torch.arange(6.0).reshape(3, 2)
factories = {
    "ones(1)": torch.ones(1),
    "zeros((3, 2))": torch.zeros((3, 2)),
    "ones(2, 2)": torch.ones(2, 2),
    "eye(2)": torch.eye(2),
    "full((2, 2), 7)": torch.full((2, 2), 7),
    "full((2, 2), 7.0)": torch.full((2, 2), 7.0),
    "zeros_like(template)": torch.zeros_like(template),
    "ones_like(template)": torch.ones_like(template),
    "full_like(template, 5)": torch.full_like(template, 5),
}
for code, t in factories.items():
    print(f"{code:<23} {tuple(t.shape)} {t.dtype}: {t.flatten().tolist()}")

# %% [markdown]
# `ones(1)` has shape `(1,)`: one element, but one dimension, not a 0-d scalar like
# `torch.tensor(3)`. `ones` is all ones; the identity matrix is `eye`. `full` infers
# its dtype from `fill_value` (an int gives `int64`), and the `*_like` functions copy
# the template's shape and dtype, so `full_like(template, 5)` is float.
#
# > **Erratum (勘误)** — the note wrote that `torch.ones` and `torch.ones_like` return
# > a "单位矩阵" (an identity matrix). They return a tensor of ones; the identity matrix
# > is `torch.eye(n)` (both printed above).
#
# The note's block is not runnable Python. We compile two of its lines, signatures
# with `..` or `…`, exactly as written, trailing `#` comments included (the printout
# shows each line up to its `#`), and an edited copy of its `full_like` line, with the
# `…` and the end of the comment removed: it still fails, because its comment has no
# `#`:

# %%
note_lines = [
    "torch.zeros(*sizes, out=None, ..)# 返回大小为sizes的零矩阵 ",
    "torch.full(size, fill_value, …) #返回大小为sizes,单位值为fill_value的矩阵",
    "torch.full_like(input, fill_value) 返回与input相同size",
]
for line in note_lines:
    try:
        compile(line, "<note>", "exec")
    except SyntaxError as err:
        code = line.split("#")[0].strip()
        print(f"{code:<38} -> {type(err).__name__}: {err.msg}")

# %% [markdown]
# > **Erratum (勘误)** — the note's creation-function block mixes signatures
# > (`out=None, ..`, `…`) with code, and the `full_like` line lacks the `#` before its
# > comment: every one of these lines raises `SyntaxError` (cell above). The cells in
# > sections 1.3–1.4 call each function for real.
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
points = torch.logspace(0, 2, 5)
ratios = points[1:] / points[:-1]  # one ratio per interval between points
torch.testing.assert_close(ratios, torch.full_like(ratios, 10**0.5))
print("logspace(0, 2, 5):", [round(v, 3) for v in points.tolist()])
print(f"{len(points)} points, {len(ratios)} intervals, each a factor of "
      f"{ratios[0].item():.3f}")

# %% [markdown]
# The note's "arange … 从start到end" (from start to end) leaves open whether `end` is
# included; it is not, as the first line shows. Its `logspace` comment gets the ends
# right, $10^{start}$ to $10^{end}$ for the default base, but it counts `steps` as
# intervals: `steps` points have `steps - 1` intervals between them (the last line).
# The note also gives `steps=100` as a default. It used to default to 100
# (deprecated, later removed); in current PyTorch `steps` is required, as the error
# and the installed docstring say:

# %%
for fn in (torch.linspace, torch.logspace):
    try:
        fn(0, 1)
    except TypeError as err:
        first_line = str(err).splitlines()[0]
        print(f"{fn.__name__}(0, 1) -> {type(err).__name__}: {first_line}")
    doc = [ln.strip() for ln in fn.__doc__.splitlines() if "requires the steps" in ln]
    print("  docstring:", *doc)

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `torch.linspace(start, end, steps=100, …)` and
# > the same for `logspace`, and described `steps` of `logspace` as "steps个对数间隔"
# > (`steps` logarithmic intervals). `steps` has no default any more (`TypeError`
# > above), and it counts points, not intervals: `logspace(0, 2, 5)` has 5 points
# > with 4 intervals between them (the first cell of this subsection).
#
# The note's "间隔中的插值数目" for `linspace` (the number of interpolated values in
# the interval) is only ambiguous: `steps` counts all the points, both ends
# included, so `linspace(0, 2, 5)` has 5 points (same cell).
#
# ## 2. 梯度 · `requires_grad` and `backward`
#
# The note heads these lines "变量" (Variable): before PyTorch 0.4 a tensor had to be
# wrapped in `torch.autograd.Variable` to take part in autograd. Today
# `requires_grad=True` on a tensor does it, and `Variable(t)` just returns a tensor.
# The note creates `x`, computes `y = 2 * x` and calls `y.backward(torch.ones((3, 2)))`.
# Its comment says the gradient argument defaults to `torch.tensor([1])`. For a `y`
# with more than one element there is no default at all:

# %%
print("Variable(t) is a", type(torch.autograd.Variable(torch.ones(1))).__name__)
x = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
y = 2 * x
try:
    y.backward()
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# The note's own call passes the gradient explicitly and works. For a one-element
# output the default exists, and it is `torch.ones_like(y)` (same shape and dtype as
# `y`), not `torch.tensor([1])`, which is even refused for a 0-d output:

# %%
y.backward(torch.ones((3, 2)))  # the note's line, as written
assert torch.equal(x.grad, torch.full((3, 2), 2.0))
print("x.grad after the note's backward:", x.grad.flatten().tolist())
total = (2 * x).sum()  # 0-d: backward() needs no argument
x.grad = None
total.backward()
print("(2 * x).sum().backward() -> x.grad all 2:", bool((x.grad == 2).all()))
x.grad = None
(2 * x).sum().reshape(1).backward()  # shape (1,): one element, no argument either
print("shape (1,) output, backward() -> x.grad all 2:", bool((x.grad == 2).all()))
try:
    (2 * x).sum().backward(torch.tensor([1]))
except RuntimeError as err:
    print(f"backward(torch.tensor([1])) -> {type(err).__name__}: {err}")

# %% [markdown]
# > **Erratum (勘误)** — the note's comment "默认torch.tensor([1])" suggests that
# > `backward()` fills in `torch.tensor([1])`. It fills in `torch.ones_like(y)`, and
# > only for a one-element output; for any other shape you must pass `gradient=`
# > yourself, and `torch.tensor([1])` itself has the wrong shape for a 0-d output (the
# > `RuntimeError`s above).
#
# `y.backward(v)` computes the vector-Jacobian product $v^\top J$: for $y = 2x$ the
# Jacobian is $2I$, so `x.grad` must equal $2v$. Any $v$ works, not only ones.
# Gradients accumulate in `.grad`, so we clear it first:

# %%
v = torch.randn(3, 2, generator=generator)
x.grad = None
y = 2 * x
y.backward(v)
torch.testing.assert_close(x.grad, 2 * v)  # v^T J with J = 2I
print("x.grad == 2 * v:", torch.equal(x.grad, 2 * v), "| shape", tuple(x.grad.shape))

# %% [markdown]
# Which dtypes can require a gradient? The note quotes the old error message
# "Only Tensors of floating point dtype can require gradients"; today's says more:

# %%
for data in ([1, 2], [True, False]):
    try:
        torch.tensor(data, requires_grad=True)
    except RuntimeError as err:
        print(f"{torch.tensor(data).dtype}: {type(err).__name__}: {err}")
z = torch.tensor([1 + 2j], requires_grad=True)
print("a complex tensor can require grad:", z.requires_grad)

# %% [markdown]
# > **Erratum (勘误)** — the note's comment says only floating-point tensors can require
# > gradients; complex tensors can too (cell above). Integer and bool tensors cannot
# > (its first two lines).
#
# ### 2.1 Leaves: `is_leaf` and `grad_fn`
#
# Autograd records every operation on tensors that require grad. A tensor that no
# recorded operation produced (one you created, like `x`) is a **leaf**: `is_leaf` is
# `True` and `grad_fn` is `None`. A result such as `y = 2 * x` is not a leaf; its
# `grad_fn` is the node that backward runs through. `backward` stores gradients in
# `.grad` only for leaves that require grad; those are the parameters you train.

# %%
plain = torch.ones(2)  # requires_grad=False: a leaf too
for name, t in {"x": x, "y = 2 * x": y, "torch.ones(2)": plain}.items():
    node = type(t.grad_fn).__name__ if t.grad_fn is not None else None
    print(f"{name:<14} is_leaf={t.is_leaf!s:<5} requires_grad={t.requires_grad!s:<5} "
          f"grad_fn={node}")
assert x.is_leaf and x.grad_fn is None and not y.is_leaf

# %% [markdown]
# ### 2.2 In-place operations and when autograd refuses them
#
# Methods ending in `_` (`add_`, `mul_`, `zero_`, ...) change a tensor in place
# instead of returning a new one. Autograd refuses two kinds. First, an in-place op on
# a leaf that requires grad, which would overwrite the value it must differentiate
# with respect to; inside `torch.no_grad()` it is allowed (this is how an optimizer
# updates weights):

# %%
w = torch.ones(2, requires_grad=True)
try:
    w.add_(1)
except RuntimeError as err:
    print(f"w.add_(1) -> {type(err).__name__}: {err}")
with torch.no_grad():
    w.add_(1)
print("under no_grad:", w.tolist(), "| still a leaf:", w.is_leaf)

# %% [markdown]
# Second, an in-place op on a tensor that backward needs. `exp` saves its output
# (the derivative of $e^x$ is $e^x$), so changing that output breaks the gradient. The
# error comes only at `backward`, found by a version counter every tensor carries.
# Changing the output of `2 * x`, which saves nothing of it, is fine:

# %%
u = torch.ones(2, requires_grad=True)
e = u.exp()
e.add_(1)
print("e._version after one in-place op:", e._version)
try:
    e.sum().backward()
except RuntimeError as err:
    print(f"backward -> {type(err).__name__}: {str(err).split(':')[0]}")
doubled = 2 * u
doubled.add_(1)
doubled.sum().backward()
print("after the in-place add on 2 * u, u.grad =", u.grad.tolist())

# %% [markdown]
# ## 3. Tensor操作 · Shape, indexing and assignment
#
# ### 3.1 Size and indexing
#
# `size()` and `.shape` are the same `torch.Size`; `size(dim)` picks one dimension.
# Indexing with `a[row, col]` reads and writes in place. These are the note's two
# lines, on a random `a` of the shape the note's last `a = torch.randn((3, 2))` has.

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
b[b < 0].fill_(7)  # a masked read is a new tensor: filling it leaves b alone
print("filling b[b < 0] changed b:", bool((b == 7).any()))

# %% [markdown]
# Writing through `row` changed `b`, and the mask assignment set every odd number to -1;
# filling the masked read `b[b < 0]` changed nothing in `b` (last line).
#
# ### 3.2 `view`, `reshape`, `permute` and `contiguous`
#
# A tensor is a block of memory plus a shape and *strides* (how many elements to skip
# per step along each dimension). `view` gives a new shape over the same memory;
# `permute` (and `.T`) reorders dimensions by swapping strides, so its result is no
# longer laid out row by row: it is not *contiguous*.

# %%
m = torch.arange(6).reshape(2, 3)
flat = m.view(6)  # same memory, new shape
p = m.permute(1, 0)  # (3, 2), strides swapped
print("m.stride():", m.stride(), "| p.stride():", p.stride())
print("flat shares m's memory:", flat.data_ptr() == m.data_ptr(),
      "| p contiguous:", p.is_contiguous())
try:
    p.view(6)
except RuntimeError as err:
    print(f"p.view(6) -> {type(err).__name__}: {str(err).split(' (')[0]}")

# %% [markdown]
# `view` refuses because no single stride walks `p` in its new order. `.contiguous()`
# copies the data into row-by-row order, after which `view` works; `reshape` does the
# same on its own: a view when it can, a copy when it must.

# %%
p_flat = p.contiguous().view(6)
r = p.reshape(6)
assert torch.equal(p_flat, r) and r.tolist() == [0, 3, 1, 4, 2, 5]
print("p.reshape(6) copied:", r.data_ptr() != m.data_ptr(),
      "| m.reshape(3, 2) copied:", m.reshape(3, 2).data_ptr() != m.data_ptr())

# %% [markdown]
# ### 3.3 `torch.cat` and `torch.stack`
#
# `cat` joins tensors along an existing dimension; `stack` adds a new one, so it needs
# tensors of equal shape:

# %%
top, bottom = torch.zeros(2, 3), torch.ones(2, 3)
assert torch.cat([top, bottom]).shape == (4, 3)  # dim=0 grows
assert torch.cat([top, bottom], dim=1).shape == (2, 6)
assert torch.stack([top, bottom]).shape == (2, 2, 3)  # a new dim 0
print("cat:", tuple(torch.cat([top, bottom]).shape),
      "| stack:", tuple(torch.stack([top, bottom]).shape))
try:
    torch.stack([top, torch.ones(3, 3)])
except RuntimeError as err:
    print(f"stack of (2, 3) and (3, 3) -> {type(err).__name__}: {err}")

# %% [markdown]
# ### 3.4 Element-wise arithmetic and broadcasting
#
# `+ - * /` and `**` work element by element. `/` is true division, so two integer
# tensors give a float. When the shapes differ, PyTorch *broadcasts*: align the shapes
# from the right; each pair of sizes must be equal or one of them 1, and a size-1 (or
# missing) dimension is repeated. So `(3, 1, 4)` with `(2, 1)` gives `(3, 2, 4)`:

# %%
ints = torch.tensor([1, 2, 3])
print("ints * ints:", (ints * ints).tolist(), "| ints / 2:", (ints / 2).tolist(),
      (ints / 2).dtype)
assert (ints / ints).is_floating_point()
print("ints / ints:", (ints / ints).tolist(), (ints / ints).dtype)
left, right = torch.ones(3, 1, 4), torch.ones(2, 1)
predicted = (3, 2, 4)
assert (left + right).shape == torch.broadcast_shapes(left.shape, right.shape)
assert (left + right).shape == predicted
print("(3, 1, 4) + (2, 1) ->", tuple((left + right).shape))

# %% [markdown]
# A column times a row is the outer product, and a shape pair that breaks the rule
# fails; `(2, 3)` and `(2,)` align 3 against 2:

# %%
col, row_vec = torch.arange(3)[:, None], torch.arange(4)  # (3, 1) and (4,)
assert torch.equal(col * row_vec, torch.outer(torch.arange(3), torch.arange(4)))
print("(3, 1) * (4,) ->", tuple((col * row_vec).shape), "== torch.outer: True")
try:
    torch.ones(2, 3) + torch.ones(2)
except RuntimeError as err:
    print(f"(2, 3) + (2,) -> {type(err).__name__}: {err}")

# %% [markdown]
# ### 3.5 Matrix products: `@` and `torch.matmul`
#
# `*` is element-wise; the matrix product is `@` (`torch.matmul`). For `(n, k) @
# (k, m)` the result is `(n, m)` with $C_{ij} = \sum_k A_{ik} B_{kj}$. We check it
# against that sum and `torch.mm`; leading dimensions broadcast as batches:

# %%
A = torch.arange(6.0).reshape(2, 3)
B = torch.arange(12.0).reshape(3, 4)
C = A @ B
manual = (A[:, :, None] * B[None, :, :]).sum(dim=1)  # sum over k
torch.testing.assert_close(C, manual)
assert torch.equal(C, torch.mm(A, B)) and torch.equal(C, torch.matmul(A, B))
batched = torch.ones(5, 2, 3) @ B  # (5, 2, 3) @ (3, 4)
print("A @ B:", tuple(C.shape), "| batched:", tuple(batched.shape))
try:
    A @ A
except RuntimeError as err:
    print(f"(2, 3) @ (2, 3) -> {type(err).__name__}: {err}")

# %% [markdown]
# ### 3.6 `.item()`: one element to a Python number
#
# `.item()` turns a one-element tensor, of any number of dimensions, into a Python
# number (the cells above use it to print). For more elements use `.tolist()`:

# %%
print(torch.tensor(2).item(), torch.tensor([1.5]).item(), torch.ones(1, 1, 1).item())
try:
    torch.ones(2).item()
except RuntimeError as err:
    print(f"torch.ones(2).item() -> {type(err).__name__}: {err}")
print("torch.ones(2).tolist():", torch.ones(2).tolist())

# %% [markdown]
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
# `.numpy()` refuses in these four common cases (among others): a tensor that requires
# grad, a tensor that is not on the CPU (here the `meta` device; a CUDA tensor gets
# the same `TypeError`, whose message names the device type), a tensor whose
# *conjugate bit* is set (`conj()` of a complex tensor only flags it, copying
# nothing), and `bfloat16`, which NumPy does not have. Two of the others follow them:
# a view whose *negative bit* is set (the imaginary part of a conjugated view) and a
# sparse tensor. The last line shows that `conj()` shares memory and sets the bit:

# %%
refused = {
    "requires_grad": torch.ones(2, requires_grad=True),
    "meta device": torch.ones(2, device="meta"),
    "conj bit": torch.tensor([1 + 2j]).conj(),
    "bfloat16": torch.ones(2, dtype=torch.bfloat16),
    "neg bit": torch.tensor([1 + 2j]).conj().imag,
    "sparse": torch.ones(2).to_sparse(),
}
for name, t in refused.items():
    try:
        t.numpy()
    except (RuntimeError, TypeError) as err:
        print(f"{name:<13} -> {type(err).__name__}: {str(err).split('. ')[0]}")
cplx = torch.tensor([1 + 2j])
print("conj() shares memory:", cplx.conj().data_ptr() == cplx.data_ptr(),
      "| is_conj():", cplx.conj().is_conj())

# %% [markdown]
# Say what you want instead: `detach()` leaves the graph, `cpu()` copies to the host,
# `resolve_conj()` applies the conjugation and `resolve_neg()` the negation,
# `.float()` picks a dtype NumPy has, `to_dense()` leaves the sparse layout.
# `numpy(force=True)` does the detach, the copy to the CPU and both resolves for you
# (copying when it must), but cannot invent a `bfloat16` for NumPy, nor densify:

# %%
print("detach():      ", refused["requires_grad"].detach().cpu().numpy())
print("resolve_conj():", refused["conj bit"].resolve_conj().numpy())
print("resolve_neg(): ", refused["neg bit"].resolve_neg().numpy())
print("force=True:    ", refused["requires_grad"].numpy(force=True),
      refused["conj bit"].numpy(force=True), refused["neg bit"].numpy(force=True))
for name in ("bfloat16", "sparse"):
    try:
        refused[name].numpy(force=True)
    except TypeError as err:
        print(f"{name}, force=True -> {type(err).__name__}: {str(err).split('. ')[0]}")
print("bfloat16 .float().numpy():", refused["bfloat16"].float().numpy().dtype)
print("sparse .to_dense().numpy():", refused["sparse"].to_dense().numpy())

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
assert (moved is cpu_tensor) == (device.type == "cpu")
print(".to(device) returned the same object exactly when already there: True")

# %% [markdown]
# A copy made by `.to(...)` from a tensor that requires grad is the result of a
# recorded operation, so by section 2.1 it is not a leaf: backward runs through it
# into the original's `.grad` and stores nothing on the copy. That holds for a move to
# another device (here `meta`, which every build has) and for a change of dtype on the
# same device; a `.to(...)` that changes nothing returns the leaf itself. So keep only
# the copy, and the leaf you meant to train is out of reach; create a parameter on its
# device with `requires_grad=True` instead (notebook 03 meets this bug in the note's
# linear regression). From a tensor that does not require grad nothing is recorded,
# and the copy is a leaf like any new tensor (last line):

# %%
leaf = torch.ones(2, requires_grad=True, device=device)
variants = {
    ".to(device)": leaf.to(device),
    ".to(torch.float16)": leaf.to(torch.float16),
    ".to('meta')": leaf.to("meta"),
}
node = type(leaf.grad_fn).__name__ if leaf.grad_fn is not None else None
print(f"{'created on device':<19} is_leaf={leaf.is_leaf!s:<5} grad_fn={node}")
for name, t in variants.items():
    node = type(t.grad_fn).__name__ if t.grad_fn is not None else None
    same = t is leaf
    print(f"{name:<19} is_leaf={t.is_leaf!s:<5} grad_fn={node} same object: {same}")
copy16 = variants[".to(torch.float16)"]
assert leaf.is_leaf and leaf.grad_fn is None and not copy16.is_leaf
copy16.sum().backward()
print("backward through the float16 copy filled leaf.grad:", leaf.grad.tolist())
with warnings.catch_warnings(record=True):  # reading a non-leaf's .grad warns
    warnings.simplefilter("always")
    copy_grad = copy16.grad
assert copy_grad is None and not copy16.retains_grad
print("and stored nothing on the copy: copy.grad is", copy_grad)
no_grad_copy = torch.ones(2).to(torch.float16)
assert no_grad_copy.is_leaf and no_grad_copy.grad_fn is None
print("torch.ones(2).to(torch.float16).is_leaf:", no_grad_copy.is_leaf)

# %% [markdown]
# Only the `.to(...)` that changed nothing kept the leaf; on the tensor that requires
# grad, the dtype change and the device move each made a non-leaf copy with a
# `ToCopyBackward0` node, and the gradient flowed through the copy back to the leaf,
# leaving the copy's `.grad` at `None`.
#
# ## Summary
# - `torch.tensor(data)` infers the dtype (`int64` for Python ints, the default float
#   dtype, `bool`, a NumPy array's own dtype); the legacy `torch.Tensor(...)` turns a
#   list or an array into the default float dtype (a tensor passes through as an
#   alias in its own dtype) and reads ints as a shape; `torch.LongTensor` and the like
#   are CPU types whose `device=` accepts only `"cpu"`.
# - The factory functions build tensors from shapes and values; `linspace` and
#   `logspace` match $x_i = \text{start} + i\,\Delta$ with
#   $\Delta = (\text{end}-\text{start})/(\text{steps}-1)$ and $\text{base}^{x_i}$;
#   `steps` is required.
# - `y.backward(v)` computes $v^\top J$; an output with more than one element needs
#   an explicit `v`.
#   Gradients land in the `.grad` of leaves (`is_leaf`, no `grad_fn`); an in-place op
#   on a leaf that requires grad, or on a tensor saved for backward, is refused.
# - Slices and `view` share memory; `permute` makes a non-contiguous tensor that
#   `view` refuses and `reshape` copies; `cat` joins along a dimension, `stack` adds
#   one; shapes broadcast from the right; `@` is the matrix product; `.item()` needs
#   exactly one element.
# - `from_numpy`/`.numpy()` share memory, and `.numpy()` refuses (among others) grad,
#   non-CPU, conjugated and `bfloat16` tensors; `.float()` on a `float32` tensor
#   returns it unchanged, on a `float64` one it copies; on a tensor that requires
#   grad, a `.to(...)` that changes device or dtype makes a non-leaf copy.
#
# ## Exercises
# 1. Set `steps = 1` in a copy of section 1.4's cell. What do `torch.linspace` and our
#    formula do? Fix the formula for that case.
# 2. In section 2, replace `y = 2 * x` with `y = x ** 2`. What must `x.grad` equal for a
#    given `v`? Add the `assert`.
# 3. Make the array of section 4 a `float64` array. Does `torch.from_numpy` still share
#    its memory? Does `torch.tensor`?
# 4. Rebuild `b = torch.arange(12).reshape(3, 4)` of section 3.1, index it with a list,
#    `b[[0, 2]]`, write into the result, and check whether `b` changed. Then assign
#    through the list index, `b[[0, 2]] = 0`, and check again.
# 5. Compute the squared distances between every row of `X` (shape `(n, d)`) and every
#    row of `Y` (shape `(m, d)`) with broadcasting and no loop. Predict and assert the
#    shape of each intermediate, and compare the result with `torch.cdist(X, Y) ** 2`.
#
# ## Further reading
# - [Tensors tutorial](
#   https://pytorch.org/tutorials/beginner/basics/tensorqs_tutorial.html)
# - [`torch.tensor`](https://pytorch.org/docs/stable/generated/torch.tensor.html),
#   [tensor creation ops](https://pytorch.org/docs/stable/torch.html#creation-ops) and
#   the [`torch.Tensor` page](https://pytorch.org/docs/stable/tensors.html) (the
#   legacy constructor)
# - [Broadcasting semantics](https://pytorch.org/docs/stable/notes/broadcasting.html)
# - [Autograd mechanics](https://pytorch.org/docs/stable/notes/autograd.html)
#   (leaves, in-place operations)
# - [Tensor views](https://pytorch.org/docs/stable/tensor_view.html)
#
# ## Solutions
#
# Each cell works on its own names, so the notebook's globals stay as they were.

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 1: steps = 1 makes our formula divide 0 by 0; linspace returns [start]
start1, end1, steps1 = 0.0, 2.0, 1
ours1 = start1 + torch.arange(steps1) * (end1 - start1) / (steps1 - 1)
print("torch.linspace:", torch.linspace(start1, end1, steps1).tolist(),
      "| our formula:", ours1.tolist())
assert torch.isnan(ours1).all()
for n in (1, 2, 5):
    delta = (end1 - start1) / (n - 1) if n > 1 else 0.0
    fixed = start1 + torch.arange(n) * delta
    torch.testing.assert_close(fixed, torch.linspace(start1, end1, n))
print("fixed formula matches linspace for steps 1, 2, 5: True")

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 2: for y = x ** 2 the Jacobian is diag(2x), so x.grad = 2 * x * v
x2 = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
v2 = torch.randn(3, 2, generator=generator)
(x2**2).backward(v2)
torch.testing.assert_close(x2.grad, 2 * x2.detach() * v2)
print("x.grad == 2 * x * v:", torch.allclose(x2.grad, 2 * x2.detach() * v2))

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 3: from_numpy shares a float64 array's memory (and keeps float64);
# torch.tensor always copies
arr = np.zeros(3)  # float64
shared, copied = torch.from_numpy(arr), torch.tensor(arr)
arr[0] = 7.0
print("from_numpy:", shared.dtype, "| sees the write:", shared[0].item() == 7.0,
      "| shares memory:", np.shares_memory(arr, shared.numpy()))
print("torch.tensor:", copied.dtype, "| sees the write:", copied[0].item() == 7.0,
      "| shares memory:", np.shares_memory(arr, copied.numpy()))

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 4: reading with a list index copies; assigning through it writes into b
b4 = torch.arange(12).reshape(3, 4)
picked = b4[[0, 2]]
picked[0, 0] = 100
print("after writing into b4[[0, 2]]: b4[0, 0] =", b4[0, 0].item())
b4[[0, 2]] = 0
print("after b4[[0, 2]] = 0: rows 0 and 2 are zero:",
      bool((b4[[0, 2]] == 0).all()), "| row 1 kept:", b4[1].tolist())

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 5: pairwise squared distances by broadcasting (n, 1, d) - (1, m, d)
n5, m5, d5 = 4, 5, 3
X = torch.randn(n5, d5, generator=generator, dtype=torch.float64)
Y = torch.randn(m5, d5, generator=generator, dtype=torch.float64)
diff = X[:, None, :] - Y[None, :, :]
assert diff.shape == (n5, m5, d5)
sq_dist = (diff**2).sum(dim=-1)
assert sq_dist.shape == (n5, m5)
torch.testing.assert_close(sq_dist, torch.cdist(X, Y) ** 2)
print("shape", tuple(sq_dist.shape), "| matches torch.cdist(X, Y) ** 2: True")
