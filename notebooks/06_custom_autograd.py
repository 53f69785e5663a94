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
# # 06 · Custom Autograd · 定义自动求导函数
#
# [← 05 GRU](05_gru.ipynb) | [Contents](../README.md) |
# [07 Learning-Rate Schedules →](07_lr_schedulers.ipynb)
#
# Autograd records every tensor operation and differentiates the record for you. A
# `torch.autograd.Function` is the escape hatch: you write the forward pass *and* its
# backward pass yourself, and autograd treats the pair as one operation. This notebook
# follows the note's section "Pytorch调参 / 1. 定义自动求导函数" (1.1 Exponential,
# 1.2 ReLu, 1.3 Linear Function), runs every snippet, fixes what no longer runs or was
# never right, and checks each backward formula with `gradcheck` and against PyTorch's
# own op.

# %% [markdown]
# **What you will learn**
# - Implement `ExpFunction`, `ReLUFunction` and `LinearFunction` with
#   `save_for_backward`, `saved_tensors`, `needs_input_grad` and `None` gradients.
# - Verify every backward formula of the note with `gradcheck` in float64 and against
#   `torch.exp`, `torch.relu` and `F.linear`.
# - Train the note's two-layer network with the custom ReLU, plot its loss, and compare
#   its gradients with autograd's.
# - Handle the edges: the gradient at ReLU's kink, `mark_non_differentiable`,
#   `once_differentiable` and double backward.
# - Decide when a custom Function is worth writing, and write one in the PyTorch 2
#   `setup_context` style.
#
# **Prerequisites**: [01 Tensors](01_tensors.ipynb) (`requires_grad`, `backward`) and
# [02 MLP Training](02_mlp_training.ipynb) (a training loop). The notebook runs on CPU
# in about 11 s; uses CUDA when present.

# %% [markdown]
# ## 0. 准备 · Setup
#
# Imports, one cell of parameters (papermill can override them, e.g. `SEED=1`) and the
# check of every parameter, then the seed and the device.

# %%
import math
import textwrap
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch.autograd import Function, gradcheck, gradgradcheck
from torch.autograd.function import once_differentiable
from torch.autograd.gradcheck import GradcheckError

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
NUM_THREADS = 1  # CPU threads: small matrices; 1 beat 2 on 2 cores
CHECK_SHAPE = (4, 5)  # inputs for gradcheck: small, float64
KINK_MARGIN = 0.1  # gradcheck inputs stay this far from ReLU's kink at 0
BATCH_SIZE, D_IN, HIDDEN, D_OUT = 64, 1000, 100, 10  # the note's N, D_in, H, D_out
NUM_STEPS = 200
LR = 0.1  # for a mean loss and scaled initial weights
NOTE_LR = 1e-6  # the note's learning rate: sum loss, unscaled randn weights
LOG_EVERY = 50
BIG_BATCH_SIZE = 256  # a larger batch for the learning-rate check
BIG_BATCH_STEPS = 20

# %%
check_params(
    globals(),
    SEED=Seed(), DEVICE=Device(), NUM_THREADS=Int(min=1),
    CHECK_SHAPE=Seq(Int(min=1), length=2), KINK_MARGIN=Float(ge=0),
    BATCH_SIZE=Int(min=1), D_IN=Int(min=1), HIDDEN=Int(min=1), D_OUT=Int(min=1),
    NUM_STEPS=Int(min=1), LR=Float(gt=0), NOTE_LR=Float(gt=0), LOG_EVERY=Int(min=1),
    BIG_BATCH_SIZE=Int(min=1), BIG_BATCH_STEPS=Int(min=1),
)

# %%
# NBVAL_IGNORE_OUTPUT
# not compared: versions and the device differ between installs
generator = set_seed(SEED)
device = get_device(DEVICE)
torch.set_num_threads(NUM_THREADS)
# float64 for gradcheck, on the device unless it is MPS (which has no float64)
f64 = {"dtype": torch.float64, "device": "cpu" if device.type == "mps" else device}
print(f"torch {torch.__version__} | numpy {np.__version__} | device {device}")

# %% [markdown]
# ## 1. 定义自动求导函数 · Custom autograd Functions
#
# A custom Function is a subclass of `torch.autograd.Function` with two static methods:
#
# - `forward(ctx, *args)` computes the outputs. Its arguments may be tensors or any
#   other Python object (a float, `None`); autograd does not record the operations
#   inside it. `ctx.save_for_backward(*tensors)` keeps the tensors backward will need.
# - `backward(ctx, *grad_outputs)` receives one gradient per output, dL/d(output), and
#   returns one gradient per input of `forward`: `None` for an input that is not a
#   tensor or needs no gradient. `ctx.saved_tensors` gives back, as a tuple, what was
#   saved; `ctx.needs_input_grad` is a tuple of booleans, one per input.
#
# You call it as `ExpFunction.apply(x)`, never by instantiating the class. The note
# describes this contract in terms of `Variable`, the wrapper class of PyTorch before
# 0.4. The name still exists as a compatibility shim, but calling it returns a plain
# `Tensor`:

# %%
t = torch.ones(2)
v = torch.autograd.Variable(t, requires_grad=True)
print(f"torch.autograd.Variable: {torch.autograd.Variable.__module__}.Variable")
print(f"Variable(t): type {type(v).__name__} | requires_grad {v.requires_grad}")


# %% [markdown]
# Neither inputs nor outputs need to be tensors. A Function can take a number and
# return one next to a tensor; backward gets `None` for the non-tensor output and
# returns `None` for the non-tensor input:


# %%
class ScaleFunction(Function):
    """y = k * x for a Python number k; also returns k + 1, a plain int."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k  # non-tensors go on ctx directly
        return x * k, k + 1

    @staticmethod
    def backward(ctx, grad_y, grad_int):
        ctx.grad_int = grad_int  # kept to show it below (ctx is y_out.grad_fn)
        return grad_y * ctx.k, None  # no gradient for k


x_in = torch.ones(2, requires_grad=True)
y_out, k_plus_1 = ScaleFunction.apply(x_in, 3)
y_out.sum().backward()
print(f"outputs: {type(y_out).__name__}, {type(k_plus_1).__name__} {k_plus_1} | "
      f"x_in.grad {x_in.grad.tolist()}")
print(f"backward got grad_int = {y_out.grad_fn.grad_int}")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote that the autograd engine "将Variable unpack成Tensor"
# > before `forward` and that inputs and outputs "必须是Variable"; since
# > PyTorch 0.4 `Variable` is merged into `Tensor` (`Variable(t)` returns a `Tensor`,
# > first cell above), `forward` receives what you pass to `apply`, and inputs and
# > outputs may be non-tensors (cell above; `bias=None` in section 1.3), as the note's
# > own first rule (`之后可以传入任何参数`) says for the inputs. Two comments in 1.3
# > are outdated the same way: `将Tensor转变为Variable保存到ctx中`
# > (`save_for_backward` keeps the tensors themselves) and
# > `判断三者对应的Variable是否需要进行反向求导计算梯度` (`needs_input_grad`
# > reports on the input tensors, section 1.3).
#
# ### 1.1 Exponential · 指数函数
#
# For $y = e^{x}$ the chain rule gives
# $\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\,e^{x}
# = \frac{\partial L}{\partial y}\,y$, in code `grad_output * y`. Here is the note's
# code, unchanged:


# %%
class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        output = torch.exp(input)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input = ctx.saved_tensors
        return grad_output * torch.exp(input)


# %% [markdown]
# Running the note's usage shows two problems: creating an instance, and the backward.

# %%
x1 = torch.tensor([3.0, 4.0], requires_grad=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    exp_note = Exp()
print(f"{caught[0].category.__name__}:")
print(textwrap.fill(str(caught[0].message), width=88))
try:
    exp_note.apply(exp_note.apply(x1)).sum().backward()
except TypeError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `input = ctx.saved_tensors`; `saved_tensors` is
# > always a tuple, even for one tensor, so `torch.exp(input)` raises the `TypeError`
# > above. Unpack it: `(y,) = ctx.saved_tensors`.
#
# > **Erratum (勘误)** — the note wrote `exp = Exp()` and then `exp.apply(...)`; the
# > methods of a Function are static and PyTorch warns that instantiating one is
# > deprecated and will become an error (cell above). Call the class:
# > `exp = ExpFunction.apply`.
#
# The corrected Function saves its *output*: since $\frac{dy}{dx} = e^x = y$, backward
# multiplies by the saved `y` instead of computing a second exponential. (The note's
# choice, saving the input and recomputing `torch.exp(input)`, is also correct, only
# slower.)


# %%
class ExpFunction(Function):
    """y = exp(x); backward reuses y because dy/dx = exp(x) = y."""

    @staticmethod
    def forward(ctx, x):
        y = torch.exp(x)
        ctx.save_for_backward(y)  # the output, not the input
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors  # always a tuple
        return grad_output * y


exp = ExpFunction.apply


# %% [markdown]
# Two checks for every Function in this notebook. `gradcheck` compares backward with
# finite differences of forward (in float64, where the differences are accurate);
# `check_against` compares values and gradients, for a random upstream gradient, with
# PyTorch's built-in op. `gradcheck` returns `True` or, by default
# (`raise_exception=True`), raises a `GradcheckError` that says which Jacobian entry
# is off; an `assert` around it would add nothing. A wrong backward shows both modes:


# %%
class WrongExp(Function):
    """exp with a wrong backward: it forgets the factor exp(x)."""

    @staticmethod
    def forward(ctx, x):
        return torch.exp(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


x = torch.randn(CHECK_SHAPE, **f64, requires_grad=True)
print("raise_exception=False:", gradcheck(WrongExp.apply, (x,), raise_exception=False))
try:
    gradcheck(WrongExp.apply, (x,))
except GradcheckError as err:
    print(f"default: {type(err).__name__}: {str(err).splitlines()[0]}")


# %%
def check_against(fn, ref, *inputs):
    """Assert fn equals ref in output and input gradients (float64: within 1e-12)."""
    out, out_ref = fn(*inputs), ref(*inputs)
    torch.testing.assert_close(out, out_ref)
    upstream = torch.randn_like(out)  # a random dL/d(output)
    wrt = [t for t in inputs if isinstance(t, torch.Tensor) and t.requires_grad]
    grads = torch.autograd.grad(out, wrt, upstream)
    grads_ref = torch.autograd.grad(out_ref, wrt, upstream)
    diffs = []
    for g, g_ref in zip(grads, grads_ref, strict=True):
        torch.testing.assert_close(g, g_ref)
        diffs.append((g - g_ref).abs().max().item())
    assert max(diffs) < 1e-12, max(diffs)
    return max(diffs)


print("ExpFunction: gradcheck", gradcheck(exp, (x,)))
check_against(exp, torch.exp, x)
print("ExpFunction: gradients within 1e-12 of torch.exp")

# %% [markdown]
# The note's own example applies the function twice, $e^{e^{x}}$, whose derivative is
# $e^{e^{x}} e^{x}$. The corrected Function reproduces it in float32:

# %%
x1 = torch.tensor([3.0, 4.0], device=device, requires_grad=True)
exp(exp(x1)).sum().backward()
with torch.no_grad():
    expected = torch.exp(torch.exp(x1)) * torch.exp(x1)  # chain rule
torch.testing.assert_close(x1.grad, expected)
print("x1.grad:", [f"{g:.4e}" for g in x1.grad.tolist()])

# %% [markdown]
# > **Erratum (勘误)** — the note's prose says `saved_tensors` is "传给forward()的参数"
# > (the arguments passed to forward); it holds whatever `forward` passed to
# > `ctx.save_for_backward`, inputs, outputs or intermediates: `ExpFunction` saves its
# > output, and its `saved_tensors` gives back `y` (gradcheck and the asserts above).
#
# Saving an output has one rule attached: do not modify it in place. Autograd counts
# versions of saved tensors and refuses to use a changed one rather than return a wrong
# gradient:

# %%
y_exp = exp(x)
y_exp.mul_(2)  # in place: the saved y is no longer exp(x)
try:
    y_exp.sum().backward()
except RuntimeError as err:
    print(f"{type(err).__name__}: {str(err).split(':')[0]}")

# %% [markdown]
# The backward pass raises instead of silently using `2 * exp(x)` as the derivative.
#
# ### 1.2 ReLu · 线性整流函数
#
# For $y = \max\{0, x\}$ the note gives
# $\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}$ (`grad_output`) where
# the input is positive and $0$ where it is negative. Its code, unchanged except for
# comments and formatting, runs:


# %%
class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


# %% [markdown]
# The note's mask `input < 0` lets the gradient through at exactly `0`, where
# `torch.relu` blocks it (section 3.1 shows the difference). The corrected version uses
# the mask `x <= 0`, the same convention as PyTorch, and avoids the in-place write:


# %%
class ReLUFunction(Function):
    """y = max(0, x); the gradient flows where x > 0 (0 at x == 0, like torch.relu)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output.masked_fill(x <= 0, 0)


x = torch.randn(CHECK_SHAPE, **f64)
x = (x + KINK_MARGIN * x.sign()).requires_grad_()  # no input near the kink
for name, relu_fn in [("MyReLU", MyReLU.apply), ("ReLUFunction", ReLUFunction.apply)]:
    passed = gradcheck(relu_fn, (x,))
    check_against(relu_fn, torch.relu, x)
    print(f"{name:<12}: gradcheck {passed} | gradients within 1e-12 of torch.relu")

# %% [markdown]
# Away from 0 both versions are right: the finite differences and `torch.relu` agree
# with them. Inputs must stay away from the kink for `gradcheck`, because a finite
# difference across it measures neither slope.
#
# ### 1.3 Linear Function · 线性函数
#
# For a batch $X$ of shape (N, in), weights $W$ (out, in) and bias $b$ (out,),
# $Y = XW^{T} + b$. With $G = \partial L/\partial Y$ (N, out) the three gradients are
#
# $$\frac{\partial L}{\partial X} = G\,W, \qquad
# \frac{\partial L}{\partial W} = G^{T} X, \qquad
# \frac{\partial L}{\partial b} = \mathbf{1}^{T} G \;(\text{the column sums of } G).$$
#
# The note's code does not get past the parser. Three of its lines contain the
# ideographic (full-width) space U+3000, which Python does not accept as whitespace
# anywhere outside strings and comments: at the very start of the comment line under
# `class LinearFunction(Function):`, after the code `expand_as(output)` at the end of
# its line, and between `mm(input)` and the comment `# 复合函数求导，链式法则` in
# `backward`. Each line, copied from the note (`\u3000` marks the character) and
# stripped of its indentation, fails on its own; with ordinary spaces it compiles:

# %%
note_lines = [
    "\u3000  # 创建torch.autograd.Function类的一个子类",
    "output += bias.unsqueeze(0).expand_as(output)\u3000",
    "grad_weight = grad_output.t().mm(input)\u3000# 复合函数求导，链式法则",
]
for line in note_lines:
    try:
        compile(line, "<note>", "exec")
    except SyntaxError as err:
        print(f"{type(err).__name__}: {err.msg} (column {err.offset})")
    compile(line.replace("\u3000", " "), "<fixed>", "exec")  # compiles
print("with ordinary spaces: all three lines compile")

# %% [markdown]
# Even the first line, which looks like a comment, fails: the comment only starts at
# `#`, and the U+3000 before it is code. The note's import line fails on its own:

# %%
try:
    import torch.autograd.Function as Function
except ModuleNotFoundError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# > **Erratum (勘误)** — the note's `LinearFunction` contains three ideographic spaces
# > (U+3000): before `# 创建torch.autograd.Function类的一个子类` (the first line of the
# > class body), trailing the code `output += bias.unsqueeze(0).expand_as(output)`,
# > and before the comment on the `grad_weight = grad_output.t().mm(input)` line.
# > Each is a `SyntaxError: invalid non-printable character U+3000` (the compile cell
# > above), so none of the snippet runs; use ordinary spaces.
#
# > **Erratum (勘误)** — the note wrote `import torch.autograd.Function as Function`;
# > `Function` is a class, not a module, so the import raises `ModuleNotFoundError`
# > (cell above). Write `from torch.autograd import Function`.
#
# With those two fixes (and its comments dropped), the note's class runs:


# %%
class NoteLinearFunction(Function):
    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.save_for_backward(input, weight, bias)
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_variables
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0).squeeze(0)
        return grad_input, grad_weight, grad_bias


# %% [markdown]
# Its comments on the bias hold: `unsqueeze(0)` adds a leading dimension, and
# `expand_as(t)` is `expand(t.size())`:

# %%
bias_row = torch.randn(3).unsqueeze(0)  # (1, 3)
out_demo = torch.zeros(CHECK_SHAPE[0], 3)
same = torch.equal(bias_row.expand_as(out_demo), bias_row.expand(out_demo.size()))
print(f"unsqueeze(0): {tuple(bias_row.shape)} | expand_as == expand: {same}")

# %% [markdown]
# Its backward still has two problems: the deprecated `saved_variables`, and a
# `squeeze(0)` that does nothing for three outputs but breaks a layer with one output.

# %%
X = torch.randn(CHECK_SHAPE, **f64, requires_grad=True)
for out_features in (3, 1):
    W = torch.randn(out_features, CHECK_SHAPE[1], **f64, requires_grad=True)
    b = torch.randn(out_features, **f64, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            check_against(NoteLinearFunction.apply, F.linear, X, W, b)
            print(f"out_features={out_features}: matches F.linear")
        except RuntimeError as err:
            print(f"out_features={out_features}: {type(err).__name__}: {err}")
    print(f"  {caught[0].category.__name__}: {caught[0].message}")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `ctx.saved_variables`; it is a deprecated alias
# > (PyTorch warns, cell above) of `ctx.saved_tensors`, which the note itself names in
# > its prose. Use `saved_tensors`.
#
# > **Erratum (勘误)** — the note wrote `grad_bias = grad_output.sum(0).squeeze(0)`;
# > `grad_output.sum(0)` already has the bias's shape (out,), so `squeeze(0)` is a no-op
# > for out > 1 and, for a layer with one output, turns (1,) into a 0-d tensor that
# > autograd rejects (the `RuntimeError` above). Return `grad_output.sum(0)`.
#
# The corrected `LinearFunction` also uses broadcasting for the bias (no
# `unsqueeze(0).expand_as`) and does not modify its output in place:


# %%
class LinearFunction(Function):
    """Y = X W^T + b, the math of F.linear; bias may be None."""

    @staticmethod
    def forward(ctx, X, weight, bias=None):
        ctx.save_for_backward(X, weight, bias)  # None is allowed
        output = X @ weight.T  # (N, out)
        if bias is not None:
            output = output + bias  # broadcasts over the batch
        return output

    @staticmethod
    def backward(ctx, grad_output):  # grad_output: (N, out)
        X, weight, bias = ctx.saved_tensors
        grad_X = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_X = grad_output @ weight  # G W: (N, in)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.T @ X  # G^T X: (out, in)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)  # 1^T G: (out,)
        return grad_X, grad_weight, grad_bias


# %% [markdown]
# Each formula is checked for one and three outputs, with and without a bias:

# %%
for out_features in (3, 1):
    W = torch.randn(out_features, CHECK_SHAPE[1], **f64, requires_grad=True)
    b = torch.randn(out_features, **f64, requires_grad=True)
    for bias in (b, None):
        passed = gradcheck(LinearFunction.apply, (X, W, bias))
        check_against(LinearFunction.apply, F.linear, X, W, bias)
        print(f"out={out_features} bias={bias is not None!s:<5}: gradcheck {passed} | "
              "gradients within 1e-12 of F.linear")

# %% [markdown]
# All four cases pass, `bias=None` included: `forward` takes a non-tensor argument and
# `backward` returns `None` in its place.
#
# The note's bias formula reads `grad_output^*1^T`. The notation is unusual, not
# wrong: `^*` (the conjugate transpose, for real tensors the `^T` the note writes
# elsewhere) applied to $G$ (N, out), times $\mathbf{1}^T$ where $\mathbf{1}$ is a
# row of N ones, is $G^{T}\mathbf{1}$ with a column of ones: the column sums of $G$,
# `grad_output.sum(0)`. The note's code comment `output = w.t * x + b` is another
# matter: with the weight of shape (out, in), as the code uses it, $W^{T}x$ does not
# even fit the shapes. Both, on the tensors above:

# %%
with torch.no_grad():
    G = torch.randn(CHECK_SHAPE[0], W.shape[0], **f64)  # a grad_output (N, out)
    ones_row = torch.ones(1, CHECK_SHAPE[0], **f64)  # 1: a row of N ones
    torch.testing.assert_close((G.T @ ones_row.T).ravel(), G.sum(0))
    print("G^T 1^T == grad_output.sum(0): True")
    try:
        W.t() @ X  # the comment's w.t * x
    except RuntimeError as err:
        print(f"w.t * x: {type(err).__name__}: {err}")
    torch.testing.assert_close(X @ W.t() + b, F.linear(X, W, b))
    print("X W^T + b == F.linear: True")

# %% [markdown]
# > **Erratum (勘误)** — the note's comment in `forward` reads `output = w.t * x + b`;
# > the code computes $XW^{T} + b$ (`input.mm(weight.t())`), and $W^{T}X$ does not fit
# > the shapes (cell above).
#
# `ctx.needs_input_grad` is how backward skips work nobody asked for. Data usually needs
# no gradient; the custom Function's graph node (`grad_fn`, which is the `ctx`) shows
# what autograd asked for:

# %%
X_data = X.detach()  # data: no gradient wanted
out = LinearFunction.apply(X_data, W, b)
print("needs_input_grad:", out.grad_fn.needs_input_grad)
out.sum().backward()
print("X_data.grad:", X_data.grad, "| b.grad shape:", tuple(b.grad.shape))
try:
    out.grad_fn.needs_input_grad[0] = True
except TypeError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# The note's prose describes this right: "ctx.needs_input_grad[0] = False" means the
# first input needs no gradient, and backward may return `None` in its place. The
# `= False` there states a value, not an assignment you may write: the tuple is
# read-only, filled in by autograd from the inputs' `requires_grad` (assigning raises
# the `TypeError` above).
#
# ## 2. 用自定义 ReLU 训练 · Training with the custom ReLU
#
# The note trains a two-layer network $\hat{y} = \mathrm{ReLU}(XW_1)W_2$ on random
# data with the custom ReLU: autograd runs the backward pass, calling
# `ReLUFunction.backward` for the ReLU, and the loop updates the weights by hand. First
# the data and two sets of starting weights: the note's plain `randn`, and the same
# draw scaled by $\sqrt{2/D_{in}}$ and $\sqrt{1/H}$ so each layer keeps its input's
# scale.

# %%
X = torch.randn(BATCH_SIZE, D_IN, generator=generator).to(device)
y = torch.randn(BATCH_SIZE, D_OUT, generator=generator).to(device)
w1_note = torch.randn(D_IN, HIDDEN, generator=generator).to(device)
w2_note = torch.randn(HIDDEN, D_OUT, generator=generator).to(device)
w1_init = w1_note * math.sqrt(2 / D_IN)  # He scaling for the ReLU layer
w2_init = w2_note * math.sqrt(1 / HIDDEN)
relu = ReLUFunction.apply  # bound once, outside any loop
for name, (w1, w2) in {"note's randn": (w1_note, w2_note),
                       "scaled": (w1_init, w2_init)}.items():
    mse = (relu(X @ w1) @ w2 - y).pow(2).mean().item()
    print(f"{name:<12} weights: first MSE {mse:.4g}")
print(f"predicting 0 everywhere: MSE {y.pow(2).mean().item():.4g}")

# %% [markdown]
# With the note's weights the network starts tens of thousands of times worse than
# predicting zero; the scaled weights start near that baseline.
#
# Before training, the custom ReLU must give the same weight gradients as the built-in
# `torch.relu` in the same network, for both sets of weights:


# %%
def weight_grads(activation, X, y, w1, w2):
    """Gradients of the mean squared error w.r.t. (w1, w2) with the given ReLU."""
    w1, w2 = w1.clone().requires_grad_(), w2.clone().requires_grad_()
    loss = (activation(X @ w1) @ w2 - y).pow(2).mean()
    return torch.autograd.grad(loss, (w1, w2))


for w1, w2 in [(w1_note, w2_note), (w1_init, w2_init)]:
    ours = weight_grads(relu, X, y, w1, w2)
    builtin = weight_grads(torch.relu, X, y, w1, w2)
    for g, g_ref in zip(ours, builtin, strict=True):
        torch.testing.assert_close(g, g_ref)
print("weight gradients: ReLUFunction == torch.relu (both initialisations)")


# %% [markdown]
# The loop is the note's, with these changes: it uses `ReLUFunction` (mask `x <= 0`)
# instead of `MyReLU`, bound once outside the loop; the weights start from a copy of
# the ones passed in; the loss is either the note's sum or a mean; it runs `num_steps`
# steps instead of 500; it sets `grad = None` instead of calling `grad.zero_()`; and
# instead of printing the loss every 100 steps it records the mean squared error per
# element on every step (so both reductions share one scale) and prints every
# `log_every`-th.


# %%
def train_two_layer(X, y, w1, w2, lr, num_steps, reduction, log_every=0):
    """The note's manual loop: custom ReLU forward, autograd backward, SGD by hand."""
    w1, w2 = w1.clone().requires_grad_(), w2.clone().requires_grad_()
    losses = []
    for step in range(num_steps):
        y_hat = relu(X @ w1) @ w2
        squared = (y_hat - y).pow(2)
        loss = squared.sum() if reduction == "sum" else squared.mean()
        losses.append(squared.mean().item())
        if log_every and (step % log_every == 0 or step == num_steps - 1):
            print(f"step {step:>3d} | loss ≈{losses[-1]:.3e}")
        loss.backward()
        with torch.no_grad():
            w1 -= lr * w1.grad
            w2 -= lr * w2.grad
        w1.grad, w2.grad = None, None
    return losses, w1.detach(), w2.detach()


# %%
print(f"scaled weights, mean loss, lr {LR}:")
losses, w1, w2 = train_two_layer(X, y, w1_init, w2_init, LR, NUM_STEPS, "mean",
                                 LOG_EVERY)
print(f"note's weights, sum loss, lr {NOTE_LR}:")
note_losses, _, _ = train_two_layer(X, y, w1_note, w2_note, NOTE_LR, NUM_STEPS, "sum",
                                    LOG_EVERY)
assert losses[-1] < 1e-3 * losses[0]

# %%
ax = plot_losses({f"note: randn weights, sum loss, lr {NOTE_LR:g}": note_losses,
                  f"scaled weights, mean loss, lr {LR:g}": losses},
                 log_y=True, xlabel="step", ylabel="MSE per element",
                 title="Two-layer network with the custom ReLU")
zero_mse = y.pow(2).mean().item()  # the error of predicting 0 everywhere
ax.axhline(zero_mse, color="gray", linestyle=":", label="predicting 0 everywhere")
ax.legend()
plt.show()
crossing = next(t for t, loss in enumerate(note_losses) if loss < zero_mse)
assert note_losses[0] > 1e4 * zero_mse and 50 <= crossing <= 150
print(f"the note's run starts over 10^4 times the dotted line and crosses it at step "
      f"≈{crossing}")
num_weights, num_targets = w1_init.numel() + w2_init.numel(), y.numel()
assert num_weights > 10 * num_targets
print(f"{num_weights:,} weights for {num_targets:,} target numbers")

# %% [markdown]
# Both runs fit the `BATCH_SIZE` random targets (the network has far more weights than
# target numbers, last line), so the loss falls by many orders of magnitude. The
# note's run starts four orders of magnitude higher and needs about a hundred steps
# just to reach the dotted line, the error of predicting zero everywhere (the `assert`
# allows 50 to 150).
#
# After training the gradients still agree with autograd's, at weights far from where
# they started:

# %%
ours = weight_grads(relu, X, y, w1, w2)
builtin = weight_grads(torch.relu, X, y, w1, w2)
for g, g_ref in zip(ours, builtin, strict=True):
    torch.testing.assert_close(g, g_ref)
print("trained weights: ReLUFunction gradients == torch.relu gradients")

# %% [markdown]
# The note's learning rate works only for its exact sizes. Its loss is a *sum* over
# the batch, so the gradient grows with the batch size; with `BIG_BATCH_SIZE` (the
# ratio is printed) the same `1e-6` diverges, while the mean loss keeps the same `LR`
# valid:

# %%
X_big = torch.randn(BIG_BATCH_SIZE, D_IN, generator=generator).to(device)
y_big = torch.randn(BIG_BATCH_SIZE, D_OUT, generator=generator).to(device)
note_big, _, _ = train_two_layer(X_big, y_big, w1_note, w2_note, NOTE_LR,
                                 BIG_BATCH_STEPS, "sum")
ours_big, _, _ = train_two_layer(X_big, y_big, w1_init, w2_init, LR,
                                 BIG_BATCH_STEPS, "mean")
print(f"BIG_BATCH_SIZE / BATCH_SIZE = {BIG_BATCH_SIZE / BATCH_SIZE:g}")
for name, run in [("note's recipe", note_big), ("scaled + mean", ours_big)]:
    last = f"≈{run[-1]:.4g}" if math.isfinite(run[-1]) else "nan (diverged)"
    print(f"batch {BIG_BATCH_SIZE}, {name:<13}: MSE {run[0]:.4g} -> {last}")
assert not math.isfinite(note_big[-1]) and ours_big[-1] < ours_big[0]

# %% [markdown]
# The note's `learning_rate = 1e-6` (with unscaled `randn` weights and a summed loss,
# as in the PyTorch tutorial it comes from) is not wrong: at the note's sizes its run
# trains (section 2 above). But it is fragile, tuned to a first loss tens of thousands
# of times the trivial one and to batches not much larger than the note's (Exercise 3
# finds the largest that still trains); with `BIG_BATCH_SIZE` it diverges to `nan`
# (cell above). Scaled initial weights (`* sqrt(2 / D_in)`) and a
# mean loss let the same `LR` train at either batch size.
#
# Two more choices of the note's loop are harmless: it re-binds `relu = MyReLU.apply`
# on every step (bound once above), and it zeroes the gradients with `grad.zero_()`
# where `grad = None` (as above, and the default of `optimizer.zero_grad()`) frees the
# memory instead.
#
# ## 3. 笔记之外 · What the note leaves out
#
# ### 3.1 不可导点 · The gradient at a kink
#
# ReLU has no derivative at 0; any value between 0 and 1 is a valid subgradient, and a
# framework must pick one. PyTorch's `relu` picks 0. The note's `< 0` mask picks 1.
# `clamp(min=0)`, the op inside its forward, depends on the version: the cell below
# printed 1 under torch 2.9 and 0 under torch 2.15 when the project's version lanes ran
# this notebook (`make lane-lowest`, `make lane-newest`); in the torch this course pins
# (2.13) it prints 1. A subgradient is a convention, so test the point you care about.

# %%
x = torch.tensor([-1.0, 0.0, 2.0], device=device, requires_grad=True)
candidates = {"torch.relu": torch.relu, "F.relu": F.relu,
              "clamp(min=0)": lambda t: t.clamp(min=0),
              "note's MyReLU": MyReLU.apply, "ReLUFunction": ReLUFunction.apply}
kink_grads = {}
for name, fn in candidates.items():
    (kink_grads[name],) = torch.autograd.grad(fn(x).sum(), x)
    print(f"{name:<14} d/dx at x = [-1, 0, 2]: {kink_grads[name].tolist()}")
torch.testing.assert_close(kink_grads["ReLUFunction"], kink_grads["torch.relu"])
assert kink_grads["note's MyReLU"][1] == 1

# %% [markdown]
# The note's `grad_input[input < 0] = 0` passes the full gradient at exactly `x == 0`,
# a valid subgradient but not PyTorch's: `torch.relu` gives 0 there (cell above).
# A pre-activation of exactly 0 is not rare: zero-padded (all-zero) inputs meet a bias
# that starts at zero. There only the note's mask lets a gradient reach the bias, so the
# two choices give different updates:

# %%
X_pad = torch.zeros(3, 4, device=device)  # three zero-padded rows
W_pad = torch.ones(2, 4, device=device)
b_pad = torch.zeros(2, device=device, requires_grad=True)  # a bias initialised to 0
pad_grads = {}
for name, fn in [("note's MyReLU", MyReLU.apply), ("ReLUFunction", ReLUFunction.apply)]:
    (pad_grads[name],) = torch.autograd.grad(fn(X_pad @ W_pad.T + b_pad).sum(), b_pad)
    print(f"{name:<14}: bias gradient {pad_grads[name].tolist()}")
assert not torch.equal(pad_grads["note's MyReLU"], pad_grads["ReLUFunction"])

# %% [markdown]
# `ReLUFunction` masks `x <= 0` to match PyTorch.
#
# ### 3.2 `mark_non_differentiable` · 不可导的输出
#
# Some outputs have no gradient at all, like the indices of a sort.
# `ctx.mark_non_differentiable` says so: the output does not require grad, and backward
# still gets a (zero) slot for it, which it ignores. Integer outputs could never require
# grad anyway; the call matters for floating outputs that are not differentiable (a
# 0/1 mask, a rounded value), and it documents intent either way.


# %%
class SortFunction(Function):
    """Sort the last dimension; values are differentiable, indices are not."""

    @staticmethod
    def forward(ctx, x):
        values, indices = x.sort(dim=-1)
        ctx.mark_non_differentiable(indices)
        ctx.save_for_backward(indices)
        return values, indices

    @staticmethod
    def backward(ctx, grad_values, grad_indices):  # grad_indices is ignored
        (indices,) = ctx.saved_tensors
        return torch.zeros_like(grad_values).scatter(-1, indices, grad_values)


x = torch.randn(CHECK_SHAPE, **f64, requires_grad=True)
values, indices = SortFunction.apply(x)
print(f"values.requires_grad {values.requires_grad} | "
      f"indices.requires_grad {indices.requires_grad}")
passed = gradcheck(SortFunction.apply, (x,))
check_against(lambda t: SortFunction.apply(t)[0], lambda t: t.sort(-1)[0], x)
print(f"SortFunction: gradcheck {passed} | gradients within 1e-12 of torch.sort")

# %% [markdown]
# Backward scatters each gradient back to the position the value came from, which is
# exactly what `torch.sort`'s own backward does. For the integer indices the call
# changes nothing; it matters for a floating output. A ReLU that also returns its 0/1
# mask, as a float and as an int, with and without the call:


# %%
class MaskedReLUFunction(Function):
    """relu(x), its 0/1 mask (float) and the mask as int; marks the float if asked."""

    @staticmethod
    def forward(ctx, x, mark):
        mask = (x > 0).to(x.dtype)
        if mark:
            ctx.mark_non_differentiable(mask)
        ctx.save_for_backward(mask)
        return x * mask, mask, mask.long()

    @staticmethod
    def backward(ctx, grad_y, grad_mask, grad_int):  # grad_mask is ignored
        (mask,) = ctx.saved_tensors
        return grad_y * mask, None


for mark in (True, False):
    _, mask, mask_int = MaskedReLUFunction.apply(x, mark)
    print(f"marked {mark!s:<5}: float mask requires_grad {mask.requires_grad!s:<5} | "
          f"int mask requires_grad {mask_int.requires_grad}")
    try:
        (grad_mask,) = torch.autograd.grad(mask.sum(), x)
        print(f"  grad of mask.sum(): all zero {bool((grad_mask == 0).all())}")
    except RuntimeError as err:
        print(f"  grad of mask.sum(): {type(err).__name__}: {err}")

# %% [markdown]
# Marked, the float mask is a constant: it does not require grad and cannot start a
# backward pass. Unmarked, it claims `requires_grad=True`, and its "gradient" comes back
# all zero without a word, because backward ignores `grad_mask`. The int output never
# requires grad, marked or not.
#
# ### 3.3 `once_differentiable` and double backward · 二阶导数
#
# A backward written with differentiable torch ops can itself be differentiated
# (`create_graph=True`, e.g. for gradient penalties or Hessian-vector products).
# `ExpFunction`'s backward is `grad_output * y`, so its second derivative is right:

# %%
x = torch.randn(CHECK_SHAPE, **f64, requires_grad=True)
print("ExpFunction: gradgradcheck", gradgradcheck(exp, (x,)))

# %% [markdown]
# A backward that leaves PyTorch, here through NumPy, cannot be differentiated again.
# `@once_differentiable` runs it with gradient recording off (so the NumPy calls work
# even under `create_graph=True`) and plants an error node in the graph of the
# gradient it returns: `.backward()` through it raises; `torch.autograd.grad` reports
# something else (next cells).


# %%
class NumpyTanhFunction(Function):
    """tanh computed by NumPy; d tanh/dx = 1 - tanh(x)^2, also in NumPy."""

    @staticmethod
    def forward(ctx, x):
        y = torch.from_numpy(np.tanh(x.detach().cpu().numpy())).to(x.device)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        y_np, g_np = y.cpu().numpy(), grad_output.cpu().numpy()
        return torch.from_numpy(g_np * (1 - y_np**2)).to(grad_output.device)


passed = gradcheck(NumpyTanhFunction.apply, (x,))
check_against(NumpyTanhFunction.apply, torch.tanh, x)
print(f"NumpyTanhFunction: gradcheck {passed} | gradients within 1e-12 of torch.tanh")

# %% [markdown]
# First derivatives are right. A second derivative, through a gradient computed with
# `create_graph=True`, is refused, but only `.backward()` says why:

# %%
(g,) = torch.autograd.grad(NumpyTanhFunction.apply(x).pow(2).sum(), x,
                           create_graph=True)
try:
    g.sum().backward()
except RuntimeError as err:
    print(f".backward(): {type(err).__name__}: {err}")
try:
    torch.autograd.grad(g.sum(), x)
except RuntimeError as err:
    print(f"autograd.grad: {type(err).__name__}: {str(err).split('. ')[0]}")
(second,) = torch.autograd.grad(g.sum(), x, allow_unused=True)
print(f"autograd.grad(..., allow_unused=True): {second}")
(g_sum,) = torch.autograd.grad(NumpyTanhFunction.apply(x).sum(), x,
                               create_graph=True)
print(f"upstream .sum(): g.requires_grad = {g_sum.requires_grad}")

# %% [markdown]
# `.backward()` names the cause. Two traps remain. First, `torch.autograd.grad` does not
# reach the error node: it reports `x` as unused in the graph, and with
# `allow_unused=True` it returns `None` without a word, as if the second derivative did
# not exist. Second, when the upstream gradient is a constant (a plain `.sum()`), the
# gradient comes back detached (`requires_grad = False`, last line), so a penalty built
# from it silently loses its second-order term. Check for `None` and `requires_grad`
# before relying on a second derivative through such a Function.
#
# The decorator is still needed: without it the backward already fails at
# `create_graph=True`. The backward then runs with gradient recording on, the saved
# output comes back requiring grad, and `.numpy()` refuses it:


# %%
class NumpyTanhNoDecorator(NumpyTanhFunction):
    """NumpyTanhFunction with the same backward, without @once_differentiable."""

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        y_np, g_np = y.cpu().numpy(), grad_output.cpu().numpy()
        return torch.from_numpy(g_np * (1 - y_np**2)).to(grad_output.device)


try:
    torch.autograd.grad(NumpyTanhNoDecorator.apply(x).sum(), x, create_graph=True)
except RuntimeError as err:
    print(f"no decorator, create_graph=True: {type(err).__name__}: "
          f"{str(err).split('. ')[0]}")
else:
    raise AssertionError("expected the undecorated backward to fail")

# %% [markdown]
# ### 3.4 何时自定义 Function · When to write a Function at all
#
# Almost never for math that PyTorch ops can express: compose them and autograd derives
# the backward, as it did for every reference in this notebook (`torch.exp`,
# `torch.relu`, `F.linear`, `torch.sort`). A custom Function is worth its two methods
# and a `gradcheck` when
#
# - **the computation leaves PyTorch** (NumPy, SciPy, a C library, a simulator):
#   autograd cannot see inside, as `NumpyTanhFunction` needed;
# - **the composed gradient is numerically worse than the analytic one** and no stable
#   built-in exists;
# - **memory**: autograd saves what each op of a composition needs; a Function can
#   save less and recompute intermediates in backward (the SiLU cell below), and
#   `torch.utils.checkpoint` recomputes whole blocks without you writing a Function.
#
# The stability case in one cell: softplus composed as $\log(1 + e^{x})$ overflows in
# float32 at $x = 100$ and its gradient becomes `inf * 0 = nan`; the built-in
# `F.softplus` returns the right value and gradient, so reach for a built-in before a
# custom Function.

# %%
z = torch.tensor([100.0], device=device, requires_grad=True)
for name, fn in [("log(1 + exp(z))", lambda t: torch.log(1 + torch.exp(t))),
                 ("F.softplus(z)", F.softplus)]:
    value = fn(z)
    (grad,) = torch.autograd.grad(value.sum(), z)
    print(f"{name:<16}: value {value.item():g} | gradient {grad.item():g}")
try:
    np.tanh(x.cpu().numpy())
except RuntimeError as err:
    print(f"NumPy on a tensor that requires grad: {type(err).__name__}: {err}")

# %% [markdown]
# The composed version gives `inf` and `nan`; the built-in gives 100 and 1. And NumPy
# refuses a tensor that is part of a graph, which is why non-PyTorch code needs a
# Function around it.
#
# The memory case: SiLU, $x\,\sigma(x)$, composed of `torch.sigmoid` and a product,
# saves $\sigma(x)$ (for both ops) besides the input $x$. A Function can save only $x$
# and recompute $\sigma(x)$ in backward, with
# $\frac{d}{dx} x\sigma(x) = \sigma(x)\,(1 + x(1 - \sigma(x)))$. A saved-tensor hook
# counts what each version keeps beyond its input:


# %%
class SiLUFunction(Function):
    """y = x * sigmoid(x); saves only x and recomputes sigmoid(x) in backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)  # recomputed, not saved
        return grad_output * s * (1 + x * (1 - s))


def saved_beyond_input(fn, t):
    """Distinct tensors (and bytes) autograd saves for fn(t), t itself excluded."""
    saved = {}

    def pack(tensor):
        if tensor.data_ptr() != t.data_ptr():
            saved[tensor.data_ptr()] = tensor.numel() * tensor.element_size()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        fn(t)
    return len(saved), sum(saved.values())


passed = gradcheck(SiLUFunction.apply, (x,))  # x: the float64 input of section 3.3
check_against(SiLUFunction.apply, F.silu, x)
print(f"SiLUFunction: gradcheck {passed} | gradients within 1e-12 of F.silu")
kept = {name: saved_beyond_input(fn, x) for name, fn in [
    ("x * sigmoid(x)", lambda t: t * torch.sigmoid(t)),
    ("SiLUFunction", SiLUFunction.apply), ("F.silu", F.silu)]}
for name, (count, nbytes) in kept.items():
    print(f"{name:<14}: saves {count} tensor(s), {nbytes} bytes, beyond x")
assert kept["x * sigmoid(x)"][0] == 1 and kept["SiLUFunction"][0] == 0

# %% [markdown]
# ### 3.5 PyTorch 2 写法 · The `setup_context` style
#
# Since PyTorch 2.0 `forward` may omit `ctx`; a separate `setup_context(ctx, inputs,
# output)` saves what backward needs. Only this style works with the `torch.func`
# transforms (`grad`, `vmap`, `jacrev`); `generate_vmap_rule = True` lets `vmap` batch
# the Function by itself.


# %%
class ExpFunctionV2(Function):
    """ExpFunction in the PyTorch 2 style: forward without ctx, plus setup_context."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return torch.exp(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y


print("ExpFunctionV2: gradcheck", gradcheck(ExpFunctionV2.apply, (x,)))
points = torch.linspace(-1, 1, 5, **f64)
slopes = torch.func.vmap(torch.func.grad(ExpFunctionV2.apply))(points)
torch.testing.assert_close(slopes, torch.exp(points))
print("per-point d/dx exp(x):", [f"{s:.4f}" for s in slopes.tolist()])
try:
    torch.func.grad(exp)(points[0])
except RuntimeError as err:
    print(f"old style under torch.func: {type(err).__name__}:")
    print(textwrap.fill(str(err).split(". ")[0], width=88))

# %% [markdown]
# `torch.func.vmap(torch.func.grad(...))` gives the derivative at each point, $e^x$,
# while the classic `ExpFunction` is refused by `torch.func` until it gains a
# `setup_context`.
#
# ## Summary
#
# - **Implement**: a Function is `forward` + `backward` as static methods, called via
#   `.apply`; `save_for_backward`/`saved_tensors` (a tuple: unpack it) carry tensors
#   between them, and backward returns one gradient per input, `None` where
#   `needs_input_grad` is `False` or the input is not a tensor.
# - **Verify**: `gradcheck` in float64 and `torch.testing.assert_close` against
#   `torch.exp`, `torch.relu`, `F.linear`, `torch.sort`, `torch.tanh` and `F.silu`
#   passed for every corrected Function; the note's code needed fixes to
#   `saved_tensors`, the import, full-width spaces, `saved_variables` and a
#   `squeeze(0)` that breaks layers with one output.
# - **Train**: the two-layer network with `ReLUFunction` gets the same gradients as
#   with `torch.relu`; scaled initial weights and a mean loss replace the note's
#   fragile `lr = 1e-6`.
# - **Edges**: ReLU's gradient at 0 is a convention (PyTorch: 0);
#   `mark_non_differentiable` keeps a float output with no gradient from claiming one;
#   `once_differentiable` makes `.backward()` through a second derivative raise a clear
#   error, while `torch.autograd.grad` calls the input unused (`None` with
#   `allow_unused=True`).
# - **Decide**: compose ops by default; write a Function for non-PyTorch code,
#   stability or memory, preferably in the `setup_context` style.
#
# ## Exercises
#
# 1. Change `ReLUFunction`'s mask to `x < 0` and rerun section 3.1: which assert fails?
#    Then find inputs for which `gradcheck` fails on `ReLUFunction` (hint: how close to
#    0 must they be, compared with `gradcheck`'s step `eps=1e-6`?).
# 2. Write `SigmoidFunction` that saves its output ($\sigma' = \sigma(1 - \sigma)$),
#    and check it with `gradcheck`, `gradgradcheck` and against `torch.sigmoid`.
# 3. Find the largest `LR` (try 0.3 and 1.0) for which the scaled, mean-loss run still
#    converges, and, between `BATCH_SIZE` and `BIG_BATCH_SIZE`, the largest batch for
#    which the note's `NOTE_LR` does (`BIG_BATCH_STEPS` steps are enough to tell).
# 4. Extend `LinearFunction` to inputs of shape (..., in) like `F.linear` (hint: the
#    bias gradient sums over every leading dimension) and check it on a 3-D input.
# 5. Add `@once_differentiable` to `ExpFunction.backward` and rerun its
#    `gradgradcheck`: what changes, and why?
#
# ## Further reading
#
# - [Extending PyTorch: custom autograd Functions](https://pytorch.org/docs/stable/notes/extending.html)
# - [torch.autograd.Function reference](https://pytorch.org/docs/stable/autograd.html#function)
# - [Gradcheck mechanics](https://pytorch.org/docs/stable/notes/gradcheck.html)
# - [Autograd mechanics: gradients at non-differentiable points](https://pytorch.org/docs/stable/notes/autograd.html#gradients-for-non-differentiable-functions)
# - [Extending torch.func with autograd.Function](https://pytorch.org/docs/stable/notes/extending.func.html)
# - [Learning PyTorch with examples](https://pytorch.org/tutorials/beginner/pytorch_with_examples.html),
#   the tutorial the note's ReLU loop comes from
#
# ## Solutions
#
# The solutions define their own Functions and data and leave the notebook's globals
# alone.

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 1: the mask x < 0 breaks the kink assert; gradcheck fails within eps of 0
class ReLULessThan(ReLUFunction):
    """ReLUFunction (its forward inherited) with the note's mask x < 0."""

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output.masked_fill(x < 0, 0)


x_kink = torch.tensor([-1.0, 0.0, 2.0], device=device, requires_grad=True)
(grad_lt,) = torch.autograd.grad(ReLULessThan.apply(x_kink).sum(), x_kink)
try:
    torch.testing.assert_close(grad_lt, kink_grads["torch.relu"])
except AssertionError as err:
    print(f"section 3.1's assert_close fails: {str(err).splitlines()[0]}")
for point in (0.0, 5e-7, 2e-6):
    x_point = torch.tensor([point], **f64, requires_grad=True)
    ok = gradcheck(ReLUFunction.apply, (x_point,), raise_exception=False)
    print(f"gradcheck at x = {point:g}: {ok}")

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 2: SigmoidFunction saves its output; sigma' = sigma (1 - sigma)
class SigmoidFunction(Function):
    """y = 1 / (1 + exp(-x)); backward reuses y."""

    @staticmethod
    def forward(ctx, x):
        y_sig = torch.sigmoid(x)
        ctx.save_for_backward(y_sig)
        return y_sig

    @staticmethod
    def backward(ctx, grad_output):
        (y_sig,) = ctx.saved_tensors
        return grad_output * y_sig * (1 - y_sig)  # torch ops: differentiable again


x_sig = torch.randn(CHECK_SHAPE, **f64, requires_grad=True)
print("gradcheck", gradcheck(SigmoidFunction.apply, (x_sig,)),
      "| gradgradcheck", gradgradcheck(SigmoidFunction.apply, (x_sig,)))
check_against(SigmoidFunction.apply, torch.sigmoid, x_sig)
print("SigmoidFunction: gradients within 1e-12 of torch.sigmoid")

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 3: the largest LR that converges, and the largest batch for NOTE_LR
def converges(run):
    """A run converges when its last MSE is finite and below a tenth of its first."""
    return math.isfinite(run[-1]) and run[-1] < 0.1 * run[0]


for lr_try in (LR, 0.3, 1.0):
    run, _, _ = train_two_layer(X, y, w1_init, w2_init, lr_try, NUM_STEPS // 4, "mean")
    print(f"scaled + mean, lr {lr_try:g}: converges {converges(run)}")
sizes = sorted({*range(BATCH_SIZE, BIG_BATCH_SIZE, 32), BIG_BATCH_SIZE})
ok_sizes = []
for size in sizes:
    X_try = torch.randn(size, D_IN, generator=generator).to(device)
    y_try = torch.randn(size, D_OUT, generator=generator).to(device)
    run, _, _ = train_two_layer(X_try, y_try, w1_note, w2_note, NOTE_LR,
                                BIG_BATCH_STEPS, "sum")
    ok_sizes += [size] if converges(run) else []
print(f"batch sizes tried: {sizes} | NOTE_LR converges up to ≈{max(ok_sizes)}")
assert BATCH_SIZE in ok_sizes and BIG_BATCH_SIZE not in ok_sizes

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 4: LinearFunction for inputs (..., in), like F.linear
class LinearNDFunction(Function):
    """Y = X W^T + b for X of shape (..., in); bias may be None."""

    @staticmethod
    def forward(ctx, X, weight, bias=None):
        ctx.save_for_backward(X, weight, bias)
        output = X @ weight.T  # (..., out)
        return output if bias is None else output + bias

    @staticmethod
    def backward(ctx, grad_output):  # (..., out)
        X, weight, bias = ctx.saved_tensors
        G = grad_output.reshape(-1, weight.shape[0])  # (prod(...), out)
        grad_X = grad_output @ weight if ctx.needs_input_grad[0] else None
        grad_weight = (G.T @ X.reshape(-1, weight.shape[1])
                       if ctx.needs_input_grad[1] else None)
        grad_bias = (G.sum(0) if bias is not None and ctx.needs_input_grad[2]
                     else None)  # sums over every leading dimension
        return grad_X, grad_weight, grad_bias


X_3d = torch.randn(2, *CHECK_SHAPE, **f64, requires_grad=True)  # (2, N, in)
W_3d = torch.randn(3, CHECK_SHAPE[1], **f64, requires_grad=True)
b_3d = torch.randn(3, **f64, requires_grad=True)
print("gradcheck", gradcheck(LinearNDFunction.apply, (X_3d, W_3d, b_3d)))
check_against(LinearNDFunction.apply, F.linear, X_3d, W_3d, b_3d)
print(f"input {tuple(X_3d.shape)} -> output "
      f"{tuple(LinearNDFunction.apply(X_3d, W_3d, b_3d).shape)}: matches F.linear")

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 5: @once_differentiable on ExpFunction.backward
class ExpOnceFunction(ExpFunction):
    """ExpFunction (forward inherited) with a backward marked once_differentiable."""

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        (y_once,) = ctx.saved_tensors
        return grad_output * y_once


x_once = torch.randn(CHECK_SHAPE, **f64, requires_grad=True)
print("gradcheck", gradcheck(ExpOnceFunction.apply, (x_once,)), "| gradgradcheck",
      gradgradcheck(ExpOnceFunction.apply, (x_once,), raise_exception=False))
try:
    gradgradcheck(ExpOnceFunction.apply, (x_once,))
except GradcheckError as err:
    print(f"{type(err).__name__}: {str(err).splitlines()[0]}")
# why: backward ran with recording off, so its gradient has no path back to x_once;
# gradgradcheck reads the missing second derivative as 0 instead of exp(x)
upstream = torch.ones_like(x_once, requires_grad=True)
(g_once,) = torch.autograd.grad(ExpOnceFunction.apply(x_once), x_once, upstream,
                                create_graph=True)
(second,) = torch.autograd.grad(g_once.sum(), x_once, allow_unused=True)
print(f"d(gradient)/dx through the once_differentiable backward: {second}")
