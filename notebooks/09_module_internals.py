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
# # 09 · nn.Module Internals · 源码细节
#
# [← 08 Optimizers](08_optimizers.ipynb) | [Contents](../README.md)

# %% [markdown]
# **What you will learn**
# - Trace how `nn.Module.__setattr__` sorts attributes into `_parameters`, `_buffers`
#   and `_modules`, and which of them reach `state_dict`, `.to()` and the optimizer
#   (plain lists versus `nn.ModuleList`, `state_dict` aliasing, `Module.to` in place)
# - Verify the registration rules (`register_parameter`, `register_buffer`,
#   `add_module`) by provoking each error the source raises
# - Prove that `apply`, `train`/`eval`, `requires_grad_` and `zero_grad` recurse,
#   measure what they change (Dropout masks, BatchNorm statistics, gradients), and
#   tell `eval()` from `no_grad()` and `inference_mode()`
# - Capture activations and gradients with forward, forward-pre and full backward
#   hooks, and check them against autograd
# - Compare the 2019 source the note quotes with the installed PyTorch
#
# **Prerequisites**: [01 Tensors](01_tensors.ipynb) and
# [02 MLP training](02_mlp_training.ipynb) (a model, a loss, `backward`, an optimizer);
# runs on CPU in about 12 s; uses CUDA when present.
#
# The note's last chapter reads `torch/nn/modules/module.py` line by line. Every
# `nn.Linear`, `nn.GRU` and LeNet of the earlier notebooks is an `nn.Module`, so the
# few rules below explain why `model.parameters()` finds the weights, why
# `model.eval()` changes the outputs and why a tensor stored on `self` sometimes does
# not follow `model.to(device)`. The note's code is of two kinds: excerpts of the
# 2019 source, which we compare with the source installed here (running the lines
# that no longer work), and usage snippets, which we run as written; we fix what no
# longer holds.

# %%
import copy
import inspect
import re
import warnings
from collections import OrderedDict

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from helpers import (
    Device,
    Float,
    Int,
    OrNone,
    Seed,
    check_params,
    get_device,
    set_seed,
)

# %% tags=["parameters"]
SEED = 0
DEVICE = "auto"
IN_FEATURES = 4  # width of the toy inputs
HIDDEN = 8  # hidden width of the small MLPs
NUM_CLASSES = 3
BATCH_SIZE = 16
DROPOUT_P = 0.5
BN_MOMENTUM = 0.1  # nn.BatchNorm1d's default
BN_SHIFT = 2.0  # mean of the BatchNorm inputs, so the running mean visibly moves
NUM_TRAIN_STEPS = 12  # BatchNorm batches seen in train mode, then as many in eval
FILL_VALUE = 1000.0  # the constant the note's apply() example writes
LR = 0.1  # learning rate of the one SGD step in section 8.3
SOURCE_LINES = 20  # how many lines of installed source to print at most

# %%
check_params(
    globals(),
    SEED=Seed(), DEVICE=Device(), IN_FEATURES=Int(min=1), HIDDEN=Int(min=1),
    NUM_CLASSES=Int(min=1), BATCH_SIZE=Int(min=2), DROPOUT_P=Float(ge=0, lt=1),
    BN_MOMENTUM=OrNone(Float(gt=0, le=1)), BN_SHIFT=Float(), NUM_TRAIN_STEPS=Int(min=1),
    FILL_VALUE=Float(), LR=Float(gt=0), SOURCE_LINES=Int(min=1),
)

# %%
# NBVAL_IGNORE_OUTPUT
# not compared: versions and the device differ between installs
generator = set_seed(SEED)
device = get_device(DEVICE)
print(f"torch {torch.__version__} | device {device}")

# %% [markdown]
# The version and device line differs between machines; nothing below prints a
# device name, it only asserts that tensors landed where `device` says.
#
# ## 1. 初始化 · `__init__`: the registries of a module
#
# ### 1.1 What an empty module holds
#
# The note lists the dictionaries `nn.Module.__init__` creates. We look at a fresh
# `nn.Module()` instead of trusting the list: its instance `__dict__` is the state.

# %%
empty = nn.Module()
state = vars(empty)
registries = ["_parameters", "_buffers", "_modules"]
hook_dicts = sorted(k for k in state if "hooks" in k and isinstance(state[k], dict))
print({name: type(state[name]).__name__ for name in registries})
print(f"{len(hook_dicts)} hook dicts, e.g.", hook_dicts[:4])
assert all(state[name] == {} for name in registries) and state["training"] is True

# %% [markdown]
# Three registries, all empty, plus the hook dictionaries counted above (how many
# depends on the torch version). `_backward_hooks` run during the backward pass and
# `_forward_hooks` after `forward`; section 12 uses them.
#
# The note also says `self._state_dict_xxx` "表示状态字典" (represent the state dict,
# used to save and load values). They are hook dictionaries too: a `Linear` has
# tensors in its `state_dict()` and nothing in any `_state_dict_*` attribute, because
# `state_dict()` is assembled on demand from `_parameters` and `_buffers` (section 8).

# %%
linear_layer = nn.Linear(IN_FEATURES, NUM_CLASSES)
state_dict_attrs = sorted(k for k in vars(linear_layer) if k.startswith("_state_dict"))
print({k: len(getattr(linear_layer, k)) for k in state_dict_attrs},
      "| state_dict():", list(linear_layer.state_dict()))
assert not any(getattr(linear_layer, k) for k in state_dict_attrs)

# %% [markdown]
# > **Erratum (勘误)** — the note wrote that `self._backward_hooks` and
# > `self._forward_hooks` are "respectively the forward and the backward hooks", that
# > `self._state_dict_xxx` hold the state dict and that subclasses call
# > `super.__init__()`; the order is the other way round (`_backward_hooks` fire in
# > backward), the `_state_dict_*` entries are (empty) hook dicts, and the call is
# > `super().__init__()`. Its `OrderedDict` registries are no longer true (the note
# > quotes the 2019 source): the installed `_parameters`, `_buffers` and `_modules`
# > are plain `dict`s (insertion-ordered since Python 3.7), and there are many more
# > hook dicts (`_backward_pre_hooks`, `_forward_hooks_with_kwargs`,
# > `_state_dict_pre_hooks`, ...); the cells above show it.
#
# ### 1.2 The installed `__init__`
#
# The note quotes `__init__` from PyTorch of 2019. Here is the part of today's source
# that creates the state. The text depends on the torch version: CI compares it with
# the stored output under the pinned version, so upgrading torch means re-running this
# notebook (and reading what changed).

# %%
def show_source(fn, start, limit=SOURCE_LINES):
    """Print the def line of ``fn``, then ``limit`` source lines from ``start`` on."""
    lines = inspect.getsource(fn).splitlines()
    first = next(i for i, line in enumerate(lines) if start in line)
    print("\n".join([lines[0], "    ...", *lines[first:first + limit]]))


# %%
show_source(nn.Module.__init__, start='super().__setattr__("training"')

# %% [markdown]
# Every attribute is set with `super().__setattr__` (plain `object.__setattr__`) to
# skip the module's own `__setattr__`, which section 1.4 shows doing real work. The
# facts we rely on are asserted separately, so they are checked on every run:

# %%
NOTE_INIT = ["training", "_parameters", "_buffers", "_backward_hooks",
             "_forward_hooks", "_forward_pre_hooks", "_state_dict_hooks",
             "_load_state_dict_pre_hooks", "_modules"]  # the note's quote, in order
init_source = inspect.getsource(nn.Module.__init__)
installed = re.findall(r'super\(\)\.__setattr__\("(\w+)"', init_source)
assert set(installed) == set(state) and set(NOTE_INIT) <= set(installed)
absent = [name for name in installed if name not in NOTE_INIT]
print(f"installed __init__ sets {len(installed)} attributes, the note's quote "
      f"{len(NOTE_INIT)}; absent from the quote ({len(absent)}):")
print("\n".join(absent))

# %% [markdown]
# The cell reads the attribute names out of the installed source, checks them against
# a fresh module's `__dict__`, and lists those the note's 2019 quote does not have:
# every one of the note's attributes is still there, and the printed ones are new.
#
# ### 1.3 Registering before `super().__init__()`
#
# The note's `register_parameter` example starts with `def __init__():`. We run it as
# written, then with `self` but still without `super().__init__()`, once for each of
# the three registration methods.

# %%
class NoSelf(nn.Module):
    def __init__():  # the note's signature, on purpose
        self.register_parameter("w", nn.Parameter(torch.ones(1)))  # noqa: F821


class NoSuperInit(nn.Module):
    def __init__(self, method, value):
        getattr(self, method)("w", value)  # no super().__init__() first


attempts = {
    "NoSelf()": NoSelf,
    "register_parameter": lambda: NoSuperInit("register_parameter",
                                              nn.Parameter(torch.ones(1))),
    "register_buffer": lambda: NoSuperInit("register_buffer", torch.ones(1)),
    "add_module": lambda: NoSuperInit("add_module", nn.Linear(1, 1)),
}
for label, attempt in attempts.items():
    try:
        attempt()
    except (TypeError, AttributeError) as err:
        print(f"{label:<19} {type(err).__name__}: {err}")
    else:
        raise AssertionError(f"{label} succeeded before Module.__init__()")

# %% [markdown]
# Without `self` Python refuses the call. With `self` but before
# `super().__init__()` the registries do not exist yet: `register_parameter` and
# `register_buffer` check for that and raise the `AttributeError` the note's excerpt
# describes; `add_module` has no such check and fails on the missing `_modules`.
#
# > **Erratum (勘误)** — the note wrote `def __init__(): self.register_parameter(...)`;
# > a method needs `self`, and `super().__init__()` must run before anything is
# > registered, otherwise `TypeError` / `AttributeError: cannot assign parameter before
# > Module.__init__() call`; the cell above shows both.
#
# ### 1.4 `__setattr__` sorts what you assign
#
# `self.x = value` inside a module is not a plain assignment: `nn.Module.__setattr__`
# looks at the type of `value`. We assign one of each kind and ask where it landed.

# %%
class ScaleShift(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(width))  # -> _parameters
        self.shift = nn.Buffer(torch.zeros(width))  # -> _buffers
        self.norm = nn.LayerNorm(width)  # -> _modules
        self.offset = torch.zeros(width)  # plain tensor -> __dict__ only

    def forward(self, x):
        return self.norm(x) * self.scale + self.shift + self.offset


def registry_of(module, name):
    """Name the dict of ``module`` that holds the attribute ``name``."""
    places = ["_parameters", "_buffers", "_modules"]
    return next((p for p in places if name in getattr(module, p)), "__dict__")


scale_shift = ScaleShift(IN_FEATURES)
for name in ["scale", "shift", "norm", "offset"]:
    print(f"{name:<7} -> {registry_of(scale_shift, name)}")

# %% [markdown]
# A `Parameter` goes to `_parameters`, a module to `_modules`, an `nn.Buffer` (or a
# tensor passed to `register_buffer`) to `_buffers`; a plain tensor is stored like any
# Python attribute. The difference matters: only registered tensors are seen by the
# module's traversals. `.double()` casts `scale` and `shift` but not `offset`:

# %%
scale_shift.double()
print({name: str(getattr(scale_shift, name).dtype).removeprefix("torch.")
       for name in ["scale", "shift", "offset"]})
print("state_dict keys:", list(scale_shift.state_dict()))
assert scale_shift.offset.dtype == torch.float32
assert "offset" not in scale_shift.state_dict()

# %% [markdown]
# `offset` stayed float32 and is missing from `state_dict`, so it would not be saved.
# Nor does it follow `.to(device)`. The `meta` device (tensors with a shape and no
# data) plays the part of a GPU here: the registered tensors move, `offset` stays on
# the CPU, and the forward pass fails on the mix.

# %%
on_meta = ScaleShift(IN_FEATURES).to("meta")
print("scale on", on_meta.scale.device, "| shift on", on_meta.shift.device,
      "| offset on", on_meta.offset.device)
try:
    on_meta(torch.ones(BATCH_SIZE, IN_FEATURES, device="meta"))
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
else:
    raise AssertionError("a CPU tensor mixed into a meta forward pass")

# %% [markdown]
# Register such tensors as buffers (or compute them in `forward` from the input's
# device).
#
# ## 2. 前向传播 · `forward`
#
# The note quotes a `forward` that raises `NotImplementedError`. We call a module that
# defines none, through `__call__` as one always should.

# %%
try:
    nn.Module()(torch.ones(1))
except NotImplementedError as err:
    print(f"{type(err).__name__}: {err}")
print("nn.Module.forward is", nn.Module.forward.__name__)

# %% [markdown]
# The default `forward` is now a module-level function `_forward_unimplemented` with
# a message naming the class. Calling `model(x)` (not `model.forward(x)`) matters:
# `__call__` runs the hooks of section 12 around `forward`.
#
# The note's own `forward` cannot be run at all: its docstring opens with `r"""` and
# never closes, and `raise NotImplementedError` sits inside it. We compile the four
# lines exactly as the note prints them (its tab included):

# %%
NOTE_FORWARD = "\n".join([
    "def forward(self, *input):",
    '\tr"""Defines the computation performed at every call.',
    "    Should be overridden by all subclasses.",
    "    raise NotImplementedError",
])
try:
    compile(NOTE_FORWARD, "<note>", "exec")
except SyntaxError as err:
    print(f"{type(err).__name__}: {err}")
else:
    raise AssertionError("the note's forward compiled")

# %% [markdown]
# > **Erratum (勘误)** — the note's quoted `forward` puts `raise NotImplementedError`
# > inside an unterminated docstring, so as printed it is a `SyntaxError`
# > (unterminated triple-quoted string literal), not a method that raises; the
# > installed default is `_forward_unimplemented`, which raises `NotImplementedError:
# > Module [Module] is missing the required "forward" function`; the cells above show
# > both.
#
# ## 3. 注册缓冲区 · `register_buffer`
#
# Buffers are tensors that belong to the module's state but are not trained, such as
# BatchNorm's running mean. Today's `register_buffer` takes a third argument,
# `persistent`, which the note's 2019 quote lacks. We register one of each kind.

# %%
class RunningStats(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.register_buffer("running_mean", torch.zeros(width))
        self.register_buffer("cache", torch.zeros(width), persistent=False)


stats = RunningStats(IN_FEATURES)
print("named_buffers:", [name for name, _ in stats.named_buffers()])
print("state_dict   :", list(stats.state_dict()))
print("parameters   :", len(list(stats.parameters())))
assert list(stats.state_dict()) == ["running_mean"]

# %% [markdown]
# Both buffers are listed by `named_buffers()`, neither is a parameter, and only the
# persistent one is saved in `state_dict`.
#
# ### 3.1 The installed `register_buffer`
#
# The signature and the first checks of the current source (its text changes with the
# torch version; the facts we rely on are asserted in the next cell):

# %%
show_source(nn.Module.register_buffer, start='if "_buffers" not in')

# %%
sig = inspect.signature(nn.Module.register_buffer)
assert sig.parameters["persistent"].default is True
assert "_six" not in inspect.getsource(nn.Module.register_buffer)
try:
    import torch._six  # noqa: F401 - the module the note's source imports
except ModuleNotFoundError as err:
    print(f"{type(err).__name__}: {err}")
try:
    isinstance("running_mean", torch._six.string_classes)  # the note's name check
except AttributeError as err:
    print(f"{type(err).__name__}: {err}")
print("register_buffer", sig)

# %% [markdown]
# > **Erratum (勘误)** — the note's `register_buffer(self, name, tensor)`, which checks
# > the name with `torch._six.string_classes`, is no longer true: `torch._six` was
# > removed in PyTorch 2.0 (the note quotes the 2019 source; the check is now
# > `isinstance(name, str)`), and the signature has since gained `persistent=True`,
# > whose `False` keeps a buffer out of `state_dict`; the cells above show both.
#
# ## 4. 注册参数 · `register_parameter`
#
# ### 4.1 The note's example, repaired
#
# The note registers a parameter named `"test param"` (with a space), prints
# `net.parameters()` and then says to look at it with `named_buffers()`. Its snippet is
# a bare `def __init__():` (section 1.3 ran that) and uses a `Net` defined only in the
# next section, so we put the registration in a class, keeping its
# `nn.Parameter(torch.Tensor([2]))` (the legacy constructor: a float32 tensor `[2.]`,
# the same as `torch.tensor([2.0])`). We print the type of
# `parameters()` instead of its repr, which would show a memory address, then run the
# note's loop over `named_parameters()` as written.

# %%
class TestParam(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_parameter("test param", nn.Parameter(torch.Tensor([2])))


test_param = TestParam()
print("parameters() is a", type(test_param.parameters()).__name__)
for name, param in test_param.named_parameters():
    print(f"named_parameters: {name!r} {param.tolist()}")
print("named_buffers   :", list(test_param.named_buffers()))
print("getattr         :", getattr(test_param, "test param").tolist())
for param in test_param.named_parameters():  # the note's loop
    print(param)

# %% [markdown]
# A space is accepted (section 4.2 lists what is refused), so the parameter can only
# be reached with `getattr`; it is found by `named_parameters()`, which yields
# `(name, Parameter)` pairs, while `named_buffers()` is empty.
#
# > **Erratum (勘误)** — the note wrote "use `self.named_buffers()` to see the
# > registered buffer" after `register_parameter`; a registered parameter is listed by
# > `named_parameters()`, and `named_buffers()` is empty; the cell above shows it.
#
# The note's `print(net.parameters())` prints a generator object (the type printed
# above), not the parameters; iterate it or wrap it in `list` to see them.
#
# ### 4.2 Every refusal of the three registration methods
#
# The note's `register_buffer` quote shows its checks, its `register_parameter` quote
# elides most of them ("省略那些类型重复的检查") and its `add_module` quote elides all.
# In the installed source (section 3.1 printed `register_buffer`'s), the three methods
# refuse the same names: a name that is not a `str` (`TypeError`), one that contains
# `.`, the empty string, and any name `hasattr` already finds outside the method's own
# registry (`KeyError`), a method name such as `forward` included. The order of the
# checks differs: `register_parameter` and `register_buffer` first raise the
# `AttributeError` of section 1.3 for a module whose `__init__` has not run, then check
# the name, then the value; `add_module` checks the value first (the second cell below
# shows it). Here every name case is tried on every method with a valid value; the
# loop fails if a registration is accepted.

# %%
NAME_CASES = {"name with '.'": "a.b", "empty name": "",
              "existing attribute": "training", "a method's name": "forward",
              "name not a str": 3}
unit = torch.ones(1)
registrations = {  # method: a call that registers a valid value under the name
    "register_parameter": lambda m, n: m.register_parameter(n, nn.Parameter(unit)),
    "register_buffer": lambda m, n: m.register_buffer(n, torch.ones(1)),
    "add_module": lambda m, n: m.add_module(n, nn.Linear(1, 1)),
}
print(f"{'':<20}" + "".join(f"{method:<20}" for method in registrations))
for label, name in NAME_CASES.items():
    errors = []
    for method, register in registrations.items():
        try:
            register(nn.Module(), name)
        except (KeyError, TypeError) as err:
            errors.append(type(err).__name__)
        else:
            raise AssertionError(f"{method} accepted the {label} {name!r}")
    assert errors == [("TypeError" if label == "name not a str" else "KeyError")] * 3
    print(f"{label:<20}" + "".join(f"{error:<20}" for error in errors))

# %% [markdown]
# Every name case is refused by all three methods, with the same error type. The next
# cell prints `register_parameter`'s messages for them, then tries the checks on the
# value: a parameter must be an `nn.Parameter` without a `grad_fn`, a buffer a tensor
# (or `None`), a child an `nn.Module` (or `None`). A non-leaf tensor is tried twice, as
# a plain tensor and as a `Parameter` that an in-place operation turned into a
# non-leaf. The last two cases put a wrong value under the bad name `'a.b'`, to see
# which check comes first.

# %%
leaf = torch.ones(2, requires_grad=True)
non_leaf_param = nn.Parameter(torch.ones(2), requires_grad=False)
non_leaf_param.mul_(leaf)  # a Parameter with a grad_fn
cases = {  # label: (method, name, value, expected error)
    **{label: ("register_parameter", name, nn.Parameter(torch.ones(1)),
               TypeError if label == "name not a str" else KeyError)
       for label, name in NAME_CASES.items()},
    "plain non-leaf tensor": ("register_parameter", "w", leaf * 2, TypeError),
    "non-leaf Parameter": ("register_parameter", "w", non_leaf_param, ValueError),
    "a list as a buffer": ("register_buffer", "b", [0.0], TypeError),
    "a tensor as a child": ("add_module", "m", torch.ones(1), TypeError),
    "list buffer as 'a.b'": ("register_buffer", "a.b", [0.0], KeyError),
    "tensor child as 'a.b'": ("add_module", "a.b", torch.ones(1), TypeError),
}
for label, (method, name, value, expected) in cases.items():
    try:
        getattr(nn.Module(), method)(name, value)
    except (KeyError, TypeError, ValueError) as err:
        assert type(err) is expected, label
        print(f"{label:<22}{type(err).__name__}: {str(err)[:58]}")
    else:
        raise AssertionError(f"{method} accepted the {label}")
add_module_source = inspect.getsource(nn.Module.add_module)
assert (add_module_source.index("isinstance(module, Module)")
        < add_module_source.index("isinstance(name, str)"))

# %% [markdown]
# `register_parameter` and `register_buffer` check the name first, then the value: a
# list offered as a buffer under `'a.b'` is refused for its name (`KeyError`).
# `add_module` is the other way round: a tensor offered as a child under `'a.b'` is
# refused for its value (`TypeError`), because its first test, as the installed
# source shows (asserted above), is `isinstance(module, Module)`. Among the value
# checks of `register_parameter`, a non-leaf plain tensor fails the
# `isinstance(param, Parameter)` test with a `TypeError`, so the `ValueError` about
# non-leaf tensors in the note's excerpt is reached only by a `Parameter` that
# acquired a `grad_fn`. (The note marks the checks before it as omitted, so this is a
# gap in the excerpt, not an error.)
#
# A name already used in the method's *own* registry is not refused: registering it
# again replaces the value. A name held by another registry is refused:

# %%
module = nn.Module()
module.register_parameter("w", nn.Parameter(torch.ones(1)))
module.register_parameter("w", nn.Parameter(torch.zeros(1)))  # replaces the first
try:
    module.register_buffer("w", torch.ones(1))
except KeyError as err:
    print(f"register_buffer('w') -> {type(err).__name__}: {err}")
else:
    raise AssertionError("a buffer took the name of a parameter")
assert module.w.item() == 0.0 and list(module._buffers) == []
print("w after re-registering:", module.w.tolist())

# %% [markdown]
# The second `register_parameter("w", ...)` replaced the first; the buffer was refused.
#
# `nn.Parameter(x * 2)` never has a `grad_fn`: it detaches its data and is a fresh
# leaf.

# %%
assert nn.Parameter(leaf * 2).is_leaf
module = nn.Module()
module.register_parameter("w", nn.Parameter(leaf * 2))
print("registered:", [name for name, _ in module.named_parameters()])

# %% [markdown]
# Wrapping a computed tensor in `nn.Parameter` is accepted because the wrapper is a
# new leaf that no longer depends on `leaf`; as the error message says, to keep the
# dependence compute the value in `forward`.
#
# ## 5. 添加子模块 · `add_module`
#
# `add_module(name, module)` registers a child under any string name, identifiers or
# not. We run the note's class as written, with a child named `"second linear"` and a
# `forward` that returns `None`, and its loop `for param in net.modules(): print(param)`
# (the loop variable holds modules, not parameters).

# %%
class TwoLinears(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)
        self.add_module("second linear", module=nn.Linear(1, 2))

    def forward(self):
        return None


two_linears = TwoLinears()
for param in two_linears.modules():  # the note's loop
    print(param)
print("state_dict:", list(two_linears.state_dict()))
print("forward returns", two_linears())

# %% [markdown]
# The space is accepted and the child is saved under `"second linear.weight"`, but
# `two_linears.second linear` is a syntax error; only `getattr` reaches it. A `.` in
# the name is refused:

# %%
second = getattr(two_linears, "second linear")
assert second is two_linears._modules["second linear"]
try:
    two_linears.add_module("third.linear", nn.Linear(1, 1))
except KeyError as err:
    print(f"{type(err).__name__}: {err}")
else:
    raise AssertionError("a name with '.' was accepted")

# %% [markdown]
# The note's example is legal, a demonstration rather than a model: a name with a
# space works but makes the child reachable only via `getattr`, and a `forward(self)`
# that returns `None` computes nothing. Real models use identifier names and a
# `forward(self, x)` that returns a tensor.
#
# ### 5.1 `self.name = module` does not call `add_module`
#
# The note says `add_module` has the same effect as assigning the layer directly
# ("效果等同于直接添加一层"). The effect is the same, but in PyTorch 2.x the assignment
# does not go through `add_module`: `nn.Module.__setattr__` writes `_modules[name]`
# itself. We replace `nn.Module.add_module` with a spy for the duration of one
# `TwoLinears()` and record which names pass through it.

# %%
add_module_calls = []
original_add_module = nn.Module.add_module


def spy_add_module(self, name, module):
    add_module_calls.append(name)
    return original_add_module(self, name, module)


nn.Module.add_module = spy_add_module
try:
    spied = TwoLinears()
finally:
    nn.Module.add_module = original_add_module
setattr_source = inspect.getsource(nn.Module.__setattr__)
assert add_module_calls == ["second linear"] and "linear" in spied._modules
assert "add_module" not in setattr_source and "modules[name] = value" in setattr_source
print("names passed to add_module:", add_module_calls)
print("__setattr__ calls add_module:", "add_module" in setattr_source,
      "| calls register_parameter:", "self.register_parameter(" in setattr_source)

# %% [markdown]
# Only the explicit `add_module("second linear", ...)` went through the spy; the
# assignment `self.linear = nn.Linear(1, 1)` was stored by `__setattr__` directly
# (the source line `modules[name] = value`). For parameters it is different:
# `__setattr__` does call `register_parameter`, but only after `remove_from(...)` has
# deleted the name from the instance `__dict__`, `_buffers` and `_modules`. So of the
# name checks of section 4.2 only `.`, `""` and a name found on the class (a method
# such as `forward`) still fire for `self.w = nn.Parameter(...)`; an existing instance
# attribute, buffer or child of that name is silently replaced:

# %%
replaced = nn.Module()
replaced.register_buffer("b", torch.ones(1))
replaced.add_module("c", nn.Linear(1, 1))
for name in ["training", "b", "c"]:  # an instance attribute, a buffer, a child
    setattr(replaced, name, nn.Parameter(torch.zeros(1)))
print("parameters:", list(replaced._parameters), "| buffers:", list(replaced._buffers),
      "| children:", list(replaced._modules))
print("replaced.training is now a", type(replaced.training).__name__)
assert list(replaced._parameters) == ["training", "b", "c"]
assert not replaced._buffers and not replaced._modules
for name in ["a.b", "", "forward"]:
    try:
        setattr(nn.Module(), name, nn.Parameter(torch.ones(1)))
    except KeyError as err:
        print(f"self.{name or '<empty>'} = nn.Parameter(...) -> KeyError: {err}")
    else:
        raise AssertionError(f"assigning a Parameter to {name!r} was accepted")

# %% [markdown]
# Calling `register_parameter` with any of these three names raises the `KeyError` of
# section 4.2 (the next cell); the assignment replaced the buffer, the child and even
# the module's `training` flag without a word.

# %%
for name in ["training", "b", "c"]:
    fresh_module = nn.Module()
    fresh_module.register_buffer("b", torch.ones(1))
    fresh_module.add_module("c", nn.Linear(1, 1))
    try:
        fresh_module.register_parameter(name, nn.Parameter(torch.zeros(1)))
    except KeyError as err:
        print(f"register_parameter({name!r}) -> KeyError: {err}")
    else:
        raise AssertionError(f"register_parameter accepted {name!r}")

# %% [markdown]
# The note also says that, because the registry is ordered, layers "must be added in
# order". The order of `_modules` only decides iteration (printing, `children()`,
# `state_dict`); the computation is whatever `forward` says, except in `nn.Sequential`,
# whose `forward` iterates its children. A module registered in reverse works:

# %%
class ReversedRegistration(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(HIDDEN, NUM_CLASSES)  # used second, registered first
        self.body = nn.Linear(IN_FEATURES, HIDDEN)

    def forward(self, x):
        return self.head(F.relu(self.body(x)))


reversed_model = ReversedRegistration()
X = torch.randn(BATCH_SIZE, IN_FEATURES, generator=generator)
print("children:", [name for name, _ in reversed_model.named_children()])
print("output shape:", tuple(reversed_model(X).shape))

# %% [markdown]
# > **Erratum (勘误)** — the note wrote that since `_modules` is an `OrderedDict`
# > "operations must be added in order"; registration order only fixes the order of
# > iteration, and `forward` defines the computation (only `nn.Sequential` runs its
# > children in registration order); the cell above shows it.
#
# ### 5.2 Containers: `nn.ModuleList` and `nn.ModuleDict`, not a Python list
#
# `__setattr__` registers a value only if it *is* a module. A Python `list` or `dict`
# of layers is stored as a plain attribute, so the layers in it are invisible to
# `parameters()` (the optimizer), `state_dict()` (the checkpoint) and `.to()` /
# `.double()`. `nn.ModuleList` and `nn.ModuleDict` are modules that register their
# items. We store the same two layers in each of the four containers.

# %%
class Stack(nn.Module):
    """Keep ``layers`` in whatever ``container`` makes of them."""
    def __init__(self, container, layers):
        super().__init__()
        self.layers = container(layers)


containers = {
    "list": list, "nn.ModuleList": nn.ModuleList,
    "dict": lambda ls: {"body": ls[0], "head": ls[1]},
    "nn.ModuleDict": lambda ls: nn.ModuleDict({"body": ls[0], "head": ls[1]}),
}
for label, container in containers.items():
    layers = [nn.Linear(IN_FEATURES, HIDDEN), nn.Linear(HIDDEN, NUM_CLASSES)]
    stack = Stack(container, layers).double()
    found = (len(list(stack.parameters())), len(stack.state_dict()))
    registered = isinstance(stack.layers, nn.Module)
    assert found == ((4, 4) if registered else (0, 0))
    assert layers[0].weight.dtype == (torch.float64 if registered else torch.float32)
    print(f"{label:<14} parameters {found[0]} | state_dict keys {found[1]} | "
          f"after .double(): {str(layers[0].weight.dtype).removeprefix('torch.')}")

# %% [markdown]
# With a plain `list` or `dict` the model has no parameters, saves nothing and keeps
# its layers in float32 after `.double()`; its `forward` would still run, which makes
# the bug quiet. The optimizer is the first to notice:

# %%
try:
    torch.optim.SGD(Stack(list, layers).parameters(), lr=LR)
except ValueError as err:
    print(f"{type(err).__name__}: {err}")
else:
    raise AssertionError("an optimizer accepted an empty parameter list")

# %% [markdown]
# ## 6. 递归施加函数 · `apply`
#
# The note says `apply(fn)` applies `fn` to "all first-generation children". We trace
# every call on a two-level model to see which modules are visited and in what order.

# %%
nested = nn.Sequential(OrderedDict(
    encoder=nn.Sequential(OrderedDict(fc=nn.Linear(IN_FEATURES, HIDDEN),
                                      act=nn.ReLU())),
    head=nn.Linear(HIDDEN, NUM_CLASSES),
))
names = {mod: name or "(root)" for name, mod in nested.named_modules()}
visits = []
nested.apply(lambda mod: visits.append(names[mod]))
print("apply        :", visits)
print("named_modules:", list(names.values()))

# %% [markdown]
# All five modules are visited, the grandchildren `encoder.fc` and `encoder.act`
# included, and every module comes after its descendants: a post-order traversal
# (`for child in self.children(): child.apply(fn)`, then `fn(self)`). `named_modules`
# walks the same tree in pre-order. The check below asserts both properties for every
# (ancestor, descendant) pair.

# %%
pre_order = list(names.values())
pairs = [(a, d) for a in visits for d in visits
         if d != a and (a == "(root)" or d.startswith(a + "."))]
assert all(visits.index(d) < visits.index(a) for a, d in pairs)  # apply: post-order
assert all(pre_order.index(d) > pre_order.index(a) for a, d in pairs)  # pre-order
assert visits == ["encoder.fc", "encoder.act", "encoder", "head", "(root)"]
print(f"{len(pairs)} ancestor/descendant pairs: apply visits the descendant first, "
      "named_modules the ancestor first")

# %% [markdown]
# The tree with the two orders, drawn:

# %%
positions = {"(root)": (2.2, 2.0), "encoder": (1.2, 1.0), "head": (3.2, 1.0),
             "encoder.fc": (0.3, 0.0), "encoder.act": (2.1, 0.0)}
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, (x, y) in positions.items():
    if name != "(root)":
        parent = name.rpartition(".")[0] or "(root)"
        ax.plot(*zip(positions[parent], (x, y), strict=True), color="0.6", zorder=1)
    label = (f"{name}\napply #{visits.index(name) + 1}\n"
             f"named_modules #{pre_order.index(name) + 1}")
    ax.text(x, y, label, ha="center", va="center", fontsize=8, zorder=2,
            bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.4"})
ax.set(xlim=(-0.4, 4.0), ylim=(-0.5, 2.5), title="apply visits children before parents")
ax.axis("off")
plt.show()

# %% [markdown]
# `apply` numbers every module after all of its descendants and the root last;
# `named_modules` numbers it before them and the root first. This is not "leaves
# first": the leaf `head` comes after the inner module `encoder`, because `apply`
# finishes the whole `encoder` subtree before it starts on `head`.

# %%
assert visits.index("head") > visits.index("encoder")
print("apply order:", " -> ".join(visits))

# %% [markdown]
#
# > **Erratum (勘误)** — the note wrote that `apply` applies `fn` to "all
# > first-generation sub-modules of the current module"; it recurses through every
# > descendant and calls `fn` on the module itself last (post-order), as the trace
# > above shows.
#
# ### 6.1 The note's initialisation example
#
# The note fills every `nn.Linear` weight with 1000 through `.data` and returns `True`
# from `fn`. We run it as written on the note's `Net` (our `TwoLinears`), with
# `FILL_VALUE` in place of the literal:

# %%
def func(param):
    if isinstance(param, nn.Linear):
        param.weight.data.fill_(FILL_VALUE)
    return True


net = TwoLinears()
net.apply(fn=func)
print(net.linear.weight)
assert (getattr(net, "second linear").weight == FILL_VALUE).all()

# %% [markdown]
# The print matches the note's comment `tensor([[1000.]], requires_grad=True)`, with
# the `Parameter containing:` line a `Parameter`'s repr adds. The current idiom writes
# under `torch.no_grad()` with `nn.init`; the return value of `fn` is ignored, and
# `apply` returns the module itself.

# %%
@torch.no_grad()
def fill_linear(module):
    if isinstance(module, nn.Linear):
        nn.init.constant_(module.weight, FILL_VALUE)


assert nested.apply(fn=fill_linear) is nested
filled = {name: module.weight.unique().tolist()
          for name, module in nested.named_modules() if isinstance(module, nn.Linear)}
print(filled)
assert all(values == [FILL_VALUE] for values in filled.values())

# %% [markdown]
# Both linear layers were filled, the nested `encoder.fc` as well, so "first
# generation only" cannot be right. The keyword `fn=` in the note is fine: it is the
# parameter's name. Writing through `.data` also works, but it hides the write from
# autograd; `torch.no_grad()` is the supported way.
#
# ## 7. 设备与精度 · `to`, `cuda`, `cpu`, `float`, `double`
#
# These methods all go through `Module._apply(fn)`, which converts every parameter and
# buffer (recursively). We use a model with a BatchNorm, because it owns an integer
# buffer, `num_batches_tracked`.

# %%
bn_model = nn.Sequential(nn.Linear(IN_FEATURES, HIDDEN), nn.BatchNorm1d(HIDDEN))


def dtypes(module):
    """Map each parameter and buffer name to its dtype, without the torch. prefix."""
    tensors = [*module.named_parameters(), *module.named_buffers()]
    return {name: str(t.dtype).removeprefix("torch.") for name, t in tensors}


bn_model.double()
print(dtypes(bn_model))
assert bn_model[1].num_batches_tracked.dtype == torch.int64

# %% [markdown]
# `.double()` cast every floating-point parameter and buffer to float64 and left the
# integer counter alone. `.to(dtype)` follows the same rule and refuses a non-floating
# target dtype:

# %%
try:
    bn_model.to(torch.int32)
except TypeError as err:
    print(f"{type(err).__name__}: {err}")
else:
    raise AssertionError("Module.to accepted an integer dtype")
bn_model.float().to(device)
tensors = [*bn_model.parameters(), *bn_model.buffers()]
assert all(t.device.type == device.type for t in tensors)
assert bn_model[0].weight.dtype == torch.float32
assert bn_model.cpu() is bn_model and bn_model[0].weight.device.type == "cpu"
bn_model.to(device)
if device.type == "cuda":  # .cuda() is .to("cuda"); only call it where CUDA exists
    assert bn_model.cuda() is bn_model
print(f"{len(tensors)} tensors on the chosen device, float32 again")

# %% [markdown]
# `to(device)` moved all seven tensors (four parameters, three buffers); `cuda()` and
# `cpu()` are the same operation with a fixed target, and every one of them returns
# the module itself, so `model = model.to(device)` and `model.to(device)` are equal.
#
# The note introduces these methods as "将数据在cpu和gpu之间切换" (switching the data
# between CPU and GPU), "类似的还有数据类型的切换float()和double()": its 数据 is the
# module's own tensors, and its example is `model.to(device)`. The input batch is a
# separate tensor and must be moved separately, with its own `.to(device)`; a
# forward pass on a module and an input on different devices fails. The `meta`
# device of section 1.4 plays the GPU again, so this runs on any machine:

# %%
data = torch.ones(BATCH_SIZE, IN_FEATURES)  # an input batch, created on the CPU
meta_model = copy.deepcopy(bn_model).to("meta")
assert all(t.is_meta for t in [*meta_model.parameters(), *meta_model.buffers()])
try:
    meta_model(data)
except RuntimeError as err:
    print(f"module on meta, input on {data.device.type}: {type(err).__name__}")
else:
    raise AssertionError("a forward pass mixed a meta module and a CPU input")
print("input moved too, output shape:", tuple(meta_model(data.to("meta")).shape))

# %% [markdown]
# The call with the CPU input raised a device-mismatch `RuntimeError` (its message
# names the devices and differs between them, so only the type is printed); after
# `data.to("meta")` the same call runs.
#
# The note's two lines, run as written in a fresh namespace that holds only `torch`
# and a `model` (building a `torch.device('cuda')` object needs no GPU):

# %%
NOTE_TO = "devie = torch.device('cuda')\nmodel.to(device)"
try:
    exec(NOTE_TO, {"torch": torch, "model": nn.Linear(1, 1)})
except NameError as err:
    print(f"{type(err).__name__}: {err}")
else:
    raise AssertionError("the note's lines ran")

# %% [markdown]
# > **Erratum (勘误)** — the note wrote `devie = torch.device('cuda')` followed by
# > `model.to(device)`; the variable is misspelled, so the call raises `NameError` in
# > a fresh session (the cell above) or silently uses some older `device`; write
# > `device = get_device(...)` once and pass it everywhere, as this notebook does.
# > The quoted `to`'s "only accepts floating point dtypes" is no longer true (the note
# > quotes the 2019 source): the installed one accepts complex dtypes too, as the
# > `TypeError` message above shows.
#
# ### 7.1 `Module.to` works in place, `Tensor.to` returns a new tensor
#
# The two methods share a name and not their semantics. `Module.to` converts the
# module's tensors in place and returns the module itself; `Tensor.to` leaves the
# tensor alone and returns a converted copy (or the tensor itself when nothing needs
# to change). Forgetting the assignment is harmless for a module and a silent no-op for
# a tensor.

# %%
weights = torch.ones(IN_FEATURES)
weights.to(torch.float64)  # result discarded: weights is unchanged
converted = weights.to(torch.float64)
assert weights.dtype == torch.float32 and converted.dtype == torch.float64
assert weights.to(torch.float32) is weights  # nothing to do: the same tensor
layer = nn.Linear(IN_FEATURES, NUM_CLASSES)
returned = layer.to(torch.float64)  # result not needed: layer itself is converted
assert returned is layer and layer.weight.dtype == torch.float64
print(f"Tensor.to: original {weights.dtype}, returned {converted.dtype}, "
      f"a new tensor: {converted is not weights}")
print(f"Module.to: module {layer.weight.dtype}, returns self: {returned is layer}")

# %% [markdown]
# `weights` stayed float32 after the discarded call; the layer became float64 without
# an assignment.
#
# ## 8. 状态字典 · `state_dict` and `load_state_dict`
#
# `state_dict()` walks the module tree and collects parameters and persistent buffers
# under dotted names. We list it for the BatchNorm model, which owns buffers as well
# as parameters.

# %%
state_dict = bn_model.state_dict()
for name, tensor in state_dict.items():
    print(f"{name:<22} {tuple(tensor.shape)!s:<6} requires_grad={tensor.requires_grad}")
assert "1.running_mean" in state_dict and "1.num_batches_tracked" in state_dict

# %% [markdown]
# The three BatchNorm buffers are saved next to the weights, and the tensors are
# detached (`keep_vars=False`), so `requires_grad` is `False`.
#
# So the note's claim that only layers with trainable parameters are saved (corrected
# in [02 MLP training](02_mlp_training.ipynb)) does not hold: a BatchNorm's statistics
# travel with the checkpoint.
#
# ### 8.1 Loading, strictly and not
#
# A checkpoint with a missing key and an unexpected one makes `load_state_dict` fail
# when `strict=True` (the default):

# %%
checkpoint = dict(state_dict)
del checkpoint["0.bias"]
checkpoint["extra.weight"] = torch.zeros(1)
fresh = nn.Sequential(nn.Linear(IN_FEATURES, HIDDEN), nn.BatchNorm1d(HIDDEN))
try:
    fresh.load_state_dict(checkpoint)
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# With `strict=False` the matching keys are loaded and the mismatches are returned as
# a named tuple, `_IncompatibleKeys(missing_keys, unexpected_keys)`:

# %%
result = fresh.load_state_dict(checkpoint, strict=False)
print(type(result).__name__, result._fields)
print("missing   :", result.missing_keys)
print("unexpected:", result.unexpected_keys)
torch.testing.assert_close(fresh[0].weight, bn_model[0].weight.cpu())
assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["extra.weight"]

# %% [markdown]
# The weight was copied and `0.bias` kept its fresh initialisation. (`fresh` lives on
# the CPU; `load_state_dict` copies values across devices.)
#
# ### 8.2 The recursion, and a warning it provokes today
#
# The note's quoted `state_dict` recurses with
# `module.state_dict(destination, prefix + name + '.', keep_vars=keep_vars)`. Passing
# `destination` and `prefix` positionally is now deprecated: still accepted, but it
# emits a warning. We provoke it on purpose and print it (recorded, so nothing reaches
# stderr), then call with keywords, which is silent and gives the same keys.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    positional_keys = list(bn_model[1].state_dict(OrderedDict(), "1."))
for warning in caught:
    print(f"{warning.category.__name__}: {str(warning.message).split('. ')[0]}")
assert [w.category for w in caught] == [FutureWarning]
with warnings.catch_warnings():
    warnings.simplefilter("error")
    keys = list(bn_model[1].state_dict(prefix="1.").keys())
assert keys == positional_keys
print(keys)

# %% [markdown]
# With keywords the child writes its keys under the prefix its parent gives it; that
# is how the dotted names of the previous cells arise.
#
# > **Erratum (勘误)** — the note's quoted `state_dict(self, destination=None,
# > prefix='', keep_vars=False)`, which recurses with positional arguments, is no
# > longer true: positional arguments were deprecated in 2022 (the note quotes the
# > 2019 source); the signature is now `state_dict(self, *args, destination=None,
# > prefix='', keep_vars=False)`, and positional use still works but emits a
# > `FutureWarning`; the cell above shows it.
#
# The quoted loop carries the comment "递归的结束条件就是当前module不包含子module" (the
# recursion ends when the current module has no sub-module) on the line
# `if module is not None:`. That test has another job: `add_module` accepts `None` as
# a child (a placeholder), and the `if` skips it. The recursion ends because a leaf's
# `_modules` is empty, so the loop has nothing to visit:

# %%
holder = nn.Module()
holder.add_module("empty", None)
holder.add_module("lin", nn.Linear(1, 1))
print("children:", list(holder._modules), "| state_dict:", list(holder.state_dict()))
assert list(holder._modules) == ["empty", "lin"]
assert list(holder.state_dict()) == ["lin.weight", "lin.bias"]
assert holder.lin._modules == {}  # a leaf: the recursion stops here
print("a Linear has sub-modules:", bool(holder.lin._modules))

# %% [markdown]
# > **Erratum (勘误)** — the note's comment
# > `#　递归的结束条件就是当前module不包含子module` sits on `if module is not None:`;
# > that test skips children registered as `None` (only the `lin.*` keys are saved
# > above), while the recursion ends because a leaf's `_modules` is empty; the cell
# > above shows both.
#
# ### 8.3 A `state_dict` is a view of the weights, not a copy
#
# The tensors in `state_dict()` are detached, but they share storage with the
# parameters. A "best model so far" kept as `best = model.state_dict()` therefore
# changes with every later optimizer step; `copy.deepcopy` makes a real snapshot. We
# take both, run one SGD step, and compare.

# %%
linear = nn.Linear(IN_FEATURES, NUM_CLASSES)
aliased = linear.state_dict()
snapshot = copy.deepcopy(linear.state_dict())
optimizer = torch.optim.SGD(linear.parameters(), lr=LR)
linear(torch.ones(BATCH_SIZE, IN_FEATURES)).pow(2).mean().backward()
optimizer.step()
assert aliased["weight"].data_ptr() == linear.weight.data_ptr()
assert torch.equal(aliased["weight"], linear.weight)
assert not torch.equal(snapshot["weight"], linear.weight)
print("state_dict() shares storage with the weight:",
      aliased["weight"].data_ptr() == linear.weight.data_ptr())
print("after the step, state_dict() == weight:", torch.equal(aliased["weight"],
                                                             linear.weight))
print("after the step, deepcopy     == weight:", torch.equal(snapshot["weight"],
                                                             linear.weight))

# %% [markdown]
# The "snapshot" taken with `state_dict()` moved with the step; the deep copy kept the
# old values. (`torch.save` writes the values at the time of the call, so saving
# right away is safe; keeping the dict in memory is not.)
#
# ## 9. 遍历 · `parameters`, `named_parameters`, `children`, `modules`
#
# The note says `recurse` decides whether `named_parameters` visits "the children's
# children". We compare `recurse=True` and `recurse=False` on the `ScaleShift` module,
# which owns one parameter itself and two inside its child `norm`.

# %%
print("recurse=True :", [name for name, _ in scale_shift.named_parameters()])
print("recurse=False:",
      [name for name, _ in scale_shift.named_parameters(recurse=False)])
assert [name for name, _ in scale_shift.named_parameters(recurse=False)] == ["scale"]

# %% [markdown]
# `recurse=False` yields only the module's own parameters, none of its direct
# children's.
#
# > **Erratum (勘误)** — the note wrote that `recurse` decides "whether to traverse
# > the sub-modules of sub-modules"; `recurse=False` skips every sub-module, children
# > included, and yields only the parameters registered on the module itself; the cell
# > above shows it.
#
# ### 9.1 Children versus modules, and shared modules
#
# `children()` yields direct sub-modules, `modules()` all of them (self first). When
# one layer is used twice, every traversal yields it once, which is what an optimizer
# needs; `remove_duplicate=False` shows the second occurrence.

# %%
shared = nn.Linear(HIDDEN, HIDDEN)
tied = nn.Sequential(nn.Linear(IN_FEATURES, HIDDEN), shared, nn.ReLU(), shared)
print("named_children:", [n for n, _ in tied.named_children()])
print("named_modules :", [n for n, _ in tied.named_modules()])
print("  no dedup    :", [n for n, _ in tied.named_modules(remove_duplicate=False)])
print("parameters    :", len(list(tied.parameters())), "| state_dict keys:",
      len(tied.state_dict()))
assert len(list(tied.parameters())) == 4 and len(tied.state_dict()) == 6
assert next(tied.modules()) is tied and tied not in list(tied.children())

# %% [markdown]
# Position `3` is missing from every traversal because it is the same object as `1`;
# the optimizer therefore updates the shared weight once. `state_dict` still stores it
# under both names (six keys), so a checkpoint loads into either position.
#
# The note says `modules()` and `named_modules()` "递归返回所有子代module" (recursively
# return all descendant modules). They return the module itself as well, first:

# %%
descendants = [m for _, child in nested.named_children() for m in child.modules()]
print("modules():", len(list(nested.modules())), "| descendants:", len(descendants),
      "| first is the root itself:", next(nested.modules()) is nested)
assert len(list(nested.modules())) == 1 + len(descendants)
assert next(iter(nested.named_modules()))[0] == ""

# %% [markdown]
# > **Erratum (勘误)** — the note wrote that `modules()` and `named_modules()` "递归返回所有子代module"
# > (recursively return all descendant modules); that is incomplete:
# > they yield the module itself first (named `''`), then its descendants, so
# > `len(list(model.modules()))` is one more than the number of descendants; the cell
# > above shows it.
#
# ## 10. 训练与验证模式 · `train` and `eval`
#
# `train(mode)` sets `self.training` and recurses over `children()`; `eval()` is
# `train(False)`. Only some layers read the flag. We measure the two common ones on
# the device, starting with Dropout.

# %%
dropout_mlp = nn.Sequential(nn.Linear(IN_FEATURES, HIDDEN), nn.Dropout(DROPOUT_P))
dropout_mlp.to(device)
X = torch.randn(BATCH_SIZE, IN_FEATURES, generator=generator).to(device)
with torch.no_grad():
    pre = dropout_mlp[0](X)  # what Dropout receives
    y_train, y_eval = dropout_mlp.train()(X), dropout_mlp.eval()(X)
kept = y_train != 0
zeroed = 1 - kept.float().mean().item()
torch.testing.assert_close(y_train[kept], pre[kept] / (1 - DROPOUT_P))
torch.testing.assert_close(y_eval, pre)
std = (DROPOUT_P * (1 - DROPOUT_P) / kept.numel()) ** 0.5  # of a binomial fraction
assert abs(zeroed - DROPOUT_P) <= 5 * std
assert DROPOUT_P == 0 or not torch.equal(y_train, y_eval)
print(f"train: ≈{zeroed:.2f} of activations zeroed (DROPOUT_P = {DROPOUT_P}), "
      f"the rest scaled by {1 / (1 - DROPOUT_P):.1f}; eval: identity")

# %% [markdown]
# In train mode Dropout zeroes about `DROPOUT_P` of the activations (the exact
# fraction depends on the random generator and the device, hence the `≈`; the assert
# allows five binomial standard deviations) and scales the survivors by `1 / (1 - p)`
# (the asserts rebuild that from scratch); in eval mode it passes its input through,
# so the outputs differ.
#
# ### 10.1 BatchNorm: batch statistics in train, running statistics in eval
#
# In train mode `BatchNorm1d` normalises with the batch mean and (biased) variance and
# updates its running estimates,
# $\hat\mu \leftarrow (1-m)\,\hat\mu + m\,\mu_B$ and
# $\hat\sigma^2 \leftarrow (1-m)\,\hat\sigma^2 + m\,\frac{n}{n-1}\sigma_B^2$;
# in eval mode it uses the running estimates and leaves them alone. We check both
# formulas on one batch.

# %%
bn = nn.BatchNorm1d(IN_FEATURES, momentum=BN_MOMENTUM).to(device)
X = (torch.randn(BATCH_SIZE, IN_FEATURES, generator=generator) + BN_SHIFT).to(device)
mean0, var0 = bn.running_mean.clone(), bn.running_var.clone()
y_train = bn.train()(X)
m = BN_MOMENTUM or 1 / bn.num_batches_tracked.item()  # None: a cumulative average
expected_mean = (1 - m) * mean0 + m * X.mean(0)
expected_var = (1 - m) * var0 + m * X.var(0, correction=1)
torch.testing.assert_close(bn.running_mean, expected_mean)
torch.testing.assert_close(bn.running_var, expected_var)
normalised = (X - X.mean(0)) / torch.sqrt(X.var(0, correction=0) + bn.eps)
torch.testing.assert_close(y_train, normalised * bn.weight + bn.bias)
print("train: running_mean", [f"{v:.4f}" for v in bn.running_mean.tolist()])

# %% [markdown]
# The updated running mean has moved the fraction `m` of the way from its initial
# zeros towards the batch mean (`m` is `BN_MOMENTUM`; for `BN_MOMENTUM = None`, a
# cumulative average, it is `1 / num_batches_tracked`, so 1 after this first batch),
# and the output matches the batch-statistics formula. Now eval:

# %%
frozen_mean = bn.running_mean.clone()
with torch.no_grad():
    y_eval = bn.eval()(X)
torch.testing.assert_close(bn.running_mean, frozen_mean)
normalised = (X - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps)
torch.testing.assert_close(y_eval, normalised * bn.weight + bn.bias)
assert not torch.allclose(y_train, y_eval)
print(f"max |train - eval| output difference: {(y_train - y_eval).abs().max():.4f}")

# %% [markdown]
# Same input, different outputs: eval mode normalised with the running estimates,
# which still sit far from this batch's statistics, and did not update them.
#
# Over several batches the difference is easy to see: the running mean climbs towards
# the data's mean (`BN_SHIFT`) only while the module is in train mode.

# %%
bn = nn.BatchNorm1d(IN_FEATURES, momentum=BN_MOMENTUM).to(device)
trace, modes = [], ["train"] * NUM_TRAIN_STEPS + ["eval"] * NUM_TRAIN_STEPS
with torch.no_grad():
    for mode in modes:
        bn.train(mode == "train")
        batch = torch.randn(BATCH_SIZE, IN_FEATURES, generator=generator) + BN_SHIFT
        bn(batch.to(device))
        trace.append(bn.running_mean.mean().item())
assert trace[NUM_TRAIN_STEPS:] == [trace[NUM_TRAIN_STEPS - 1]] * NUM_TRAIN_STEPS
print(f"running mean after train: {trace[NUM_TRAIN_STEPS - 1]:.4f}, "
      f"after eval: {trace[-1]:.4f}; batches counted: {bn.num_batches_tracked.item()}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
steps = range(1, len(trace) + 1)
ax.plot(steps, trace, marker="o", markersize=3, label="running mean (feature avg)")
ax.axhline(BN_SHIFT, color="0.5", linestyle="--", label=f"data mean = {BN_SHIFT}")
ax.axvspan(NUM_TRAIN_STEPS + 0.5, len(trace) + 0.5, color="0.9", label="eval mode")
ax.set(xlabel="batch", ylabel="running mean", title="BatchNorm updates only in train()")
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# The curve rises while training and is flat in the grey eval region; the counter
# `num_batches_tracked` also stopped at `NUM_TRAIN_STEPS`.
#
# `train()` recurses like `apply`: one call on the root sets the flag everywhere.

# %%
nested.eval()
assert not any(module.training for module in nested.modules())
nested.train()
print({name or "(root)": module.training for name, module in nested.named_modules()})

# %% [markdown]
# All five modules follow the root's mode.
#
# ### 10.2 `eval()` is not `no_grad()`, and neither is `inference_mode()`
#
# The note calls the two modes 训练模式 and 验证/测试模式 and says that only some
# layers, Dropout and BN, behave differently; that is exactly right, and it is all
# `eval()` does. It is easy to read "test mode" as "no gradients", so we put the three
# mechanisms side by side on a plain linear layer: `eval()` flips the `training` flag,
# `torch.no_grad()` stops autograd from recording, `torch.inference_mode()` stops it
# too and marks the results as inference tensors.

# %%
probe = nn.Linear(IN_FEATURES, NUM_CLASSES)
X = torch.ones(BATCH_SIZE, IN_FEATURES)
y_train = probe.train()(X)
y_eval = probe.eval()(X)
with torch.no_grad():
    y_no_grad = probe(X)
with torch.inference_mode():
    y_inference = probe(X)
assert torch.equal(y_train, y_eval)  # no Dropout or BatchNorm: eval() changes nothing
assert y_eval.requires_grad and not y_no_grad.requires_grad
for label, out in [("eval()", y_eval), ("no_grad()", y_no_grad),
                   ("inference_mode()", y_inference)]:
    print(f"{label:<17} requires_grad={out.requires_grad!s:<5} "
          f"grad_fn={type(out.grad_fn).__name__:<15} is_inference={out.is_inference()}")

# %% [markdown]
# Under `eval()` the output still has a `grad_fn` and requires grad: the graph is
# built and its memory kept, so evaluation code wants `torch.no_grad()` (or
# `inference_mode()`) as well as `eval()`. The difference between the last two shows
# when their results are used later. A `no_grad` result is an ordinary tensor that
# simply has no history. An inference tensor cannot be saved for backward (for
# example as an operand of a multiplication, whose gradient needs it) or updated in
# place outside inference mode; `clone()` it first. An operation that does not save
# it, such as an addition, is allowed.

# %%
scale = torch.ones(NUM_CLASSES, requires_grad=True)
(y_no_grad * scale).sum().backward()  # fine: y_no_grad is a constant
assert scale.grad is not None
misuses = {"saved for backward (y * scale)": lambda: (y_inference * scale).sum(),
           "updated in place": lambda: y_inference.add_(1.0)}
for label, use in misuses.items():
    try:
        use()
    except RuntimeError as err:
        print(f"inference tensor {label}: {type(err).__name__}: "
              f"{str(err).split('.')[0]}")
    else:
        raise AssertionError(f"an inference tensor was {label}")
scale.grad = None
(y_inference + scale).sum().backward()  # allowed: the addition saves neither operand
torch.testing.assert_close(scale.grad, torch.full_like(scale, BATCH_SIZE))
print("inference tensor in y + scale: backward ran, scale.grad == BATCH_SIZE:",
      bool((scale.grad == BATCH_SIZE).all()))
assert (y_inference.clone() * scale).requires_grad  # the documented way out: clone

# %% [markdown]
# So: `eval()` for the layers that read the flag, `no_grad()` to skip the graph,
# `inference_mode()` for pure inference whose outputs never go back into training.
# The source agrees: `train()`, as quoted by the note and as installed, sets
# `self.training` on each module and never mentions gradients:

# %%
train_source = inspect.getsource(nn.Module.train)
assert "grad" not in train_source and "self.training = mode" in train_source
print("'grad' in the source of train():", "grad" in train_source)
try:
    # the note's 2019 train() would have stored the truthy string 'False'
    nested.train("False")
except ValueError as err:
    print(f"{type(err).__name__}: {err}")
else:
    raise AssertionError("train() accepted a string")

# %% [markdown]
# One check is new since the note's quote: a mode that is not a `bool` is refused.
#
# ## 11. 冻结与梯度清零 · `requires_grad_` and `zero_grad`
#
# ### 11.1 Freezing a layer
#
# `Module.requires_grad_(False)` calls `p.requires_grad_(False)` on every parameter
# of the module and its descendants. We freeze the first layer of a small MLP, run one
# backward pass and look at the gradients.

# %%
model = nn.Sequential(nn.Linear(IN_FEATURES, HIDDEN), nn.ReLU(),
                      nn.Linear(HIDDEN, NUM_CLASSES)).to(device)
model[0].requires_grad_(False)
X = torch.randn(BATCH_SIZE, IN_FEATURES, generator=generator).to(device)
y = torch.randint(0, NUM_CLASSES, (BATCH_SIZE,), generator=generator).to(device)
loss_fn = nn.CrossEntropyLoss()
loss_fn(model(X), y).backward()
for name, param in model.named_parameters():
    grad = "None" if param.grad is None else f"norm {param.grad.norm():.4f}"
    print(f"{name:<9} requires_grad={param.requires_grad!s:<5} grad {grad}")
assert model[0].weight.grad is None and model[2].weight.grad is not None

# %% [markdown]
# The frozen layer received no gradient at all (not even zeros); an optimizer built
# from `filter(lambda p: p.requires_grad, model.parameters())` would not touch it.
#
# The layer frozen above has no children, so it cannot show the recursion. `nested`
# can: `encoder.fc` is a grandchild of the root. We freeze the `encoder` subtree, then
# the whole model.

# %%
def trainable(module):
    """Map each parameter name of ``module`` to its ``requires_grad``."""
    return {name: p.requires_grad for name, p in module.named_parameters()}


nested.encoder.requires_grad_(False)
print("encoder frozen:", trainable(nested))
assert not any(p.requires_grad for p in nested.encoder.parameters())
assert all(p.requires_grad for p in nested.head.parameters())
assert nested.requires_grad_(False) is nested
print("root frozen   :", trainable(nested))
assert not any(trainable(nested).values())
nested.requires_grad_(True)
assert nested.head.weight.requires_grad_(True) is nested.head.weight  # Tensor method

# %% [markdown]
# Freezing `encoder` reached its child `fc`, and freezing the root reached every
# parameter two levels down; `head` stayed trainable in the first case. The recursion
# comes from `self.parameters()` (which recurses by default); the `p.requires_grad_`
# in the loop is the tensor's own method and returns the tensor, not a recursive call
# as the comment in the note's quote ("也是递归的调用") suggests.
#
# The note adds "它是单个模块控制的" (it is controlled by the single module). Read as
# "set per module", that is what the cells above do (freeze `model[0]` or
# `nested.encoder` alone); the call still reaches every parameter of that module's
# subtree, not only the module's own. The method's name is another matter:

# %%
assert not hasattr(nn.Module, "requires_grad") and hasattr(nn.Module, "requires_grad_")
model.requires_grad_(True)
print("nn.Module has requires_grad:", hasattr(nn.Module, "requires_grad"),
      "| requires_grad_:", hasattr(nn.Module, "requires_grad_"))
print("trainable again:", all(p.requires_grad for p in model.parameters()))

# %% [markdown]
# > **Erratum (勘误)** — the note calls the method `requires_grad()`; there is no
# > `Module.requires_grad()`, the method is `requires_grad_` (in place, returns the
# > module); the cell above shows it.
#
# ### 11.2 `zero_grad`: `None` by default
#
# The note's `zero_grad` zeroes each gradient. The installed one takes
# `set_to_none=True` by default; we show the source, assert the default, and compare
# both settings after a backward pass.

# %%
show_source(nn.Module.zero_grad, start="for p in self.parameters()")

# %%
assert inspect.signature(nn.Module.zero_grad).parameters["set_to_none"].default is True
loss_fn(model(X), y).backward()
model.zero_grad()
print("zero_grad()                  -> all None :",
      all(p.grad is None for p in model.parameters()))
loss_fn(model(X), y).backward()
model.zero_grad(set_to_none=False)
print("zero_grad(set_to_none=False) -> all zeros:",
      all(p.grad is not None and not p.grad.any() for p in model.parameters()))

# %% [markdown]
# After the default call every `.grad` is `None` (no memory held, and the next
# backward writes instead of adds); with `set_to_none=False` the tensors stay and are
# filled with zeros. Code that reads `p.grad` right after `zero_grad()` must expect
# `None`.
#
# > **Erratum (勘误)** — the note's quoted `zero_grad(self)`, which detaches and zeroes
# > every gradient, is no longer true: changed in PyTorch 2.0 (the note quotes the
# > 2019 source), the signature is `zero_grad(self, set_to_none=True)` and by default
# > gradients become `None`, zeros only with `set_to_none=False`; the cells above show
# > it. The note also misspells the method as `zeros_grad()`.
#
# ## 12. 钩子 · Hooks: capturing activations and gradients
#
# The note mentions `_forward_hooks` and `_backward_hooks` "to obtain the inputs and
# outputs of intermediate layers" but never uses them. `__call__` runs, in order:
# forward-pre hooks `(module, args)`, `forward`, forward hooks
# `(module, args, output)`, and during backward the full backward hooks
# `(module, grad_input, grad_output)`. We attach all three to each layer of a small
# MLP and keep the handles they return.

# %%
mlp = nn.Sequential(nn.Linear(IN_FEATURES, HIDDEN), nn.ReLU(),
                    nn.Linear(HIDDEN, NUM_CLASSES)).to(device)
inputs, outputs, grads = {}, {}, {}


def capture(name):
    """Return the three hooks that store layer ``name``'s tensors."""
    def pre_hook(module, args):
        inputs[name] = args[0].detach()

    def forward_hook(module, args, output):
        outputs[name] = output.detach()

    def backward_hook(module, grad_input, grad_output):
        grads[name] = (grad_input[0], grad_output[0])

    return pre_hook, forward_hook, backward_hook


# %%
handles = []
for name, layer in mlp.named_children():
    pre_hook, forward_hook, backward_hook = capture(name)
    handles += [layer.register_forward_pre_hook(pre_hook),
                layer.register_forward_hook(forward_hook),
                layer.register_full_backward_hook(backward_hook)]
X_in = X.clone().requires_grad_(True)  # so layer 0 has an input gradient to report
loss_fn(mlp(X_in), y).backward()
for name in inputs:
    print(f"layer {name}: input {tuple(inputs[name].shape)} -> output "
          f"{tuple(outputs[name].shape)} | grad_output {tuple(grads[name][1].shape)}")

# %% [markdown]
# Each layer reported its input and output activations, `(batch, features)`, and the
# gradient of the loss with respect to its output. (The input is made to require
# grad: otherwise the first layer's full backward hook has no input gradient to report
# and PyTorch warns about it.)
#
# ### 12.1 The captured gradients agree with autograd
#
# For a linear layer $y = xW^\top + b$, $\partial L/\partial W = g^\top x$ and
# $\partial L/\partial b = \sum_{\text{batch}} g$, where $g$ is `grad_output` and $x$
# the captured input. These must equal the `.grad` autograd stored on the parameters;
# and each layer's `grad_input` is the next-lower layer's `grad_output`.

# %%
for name in ["0", "2"]:
    x_in, (grad_in, grad_out) = inputs[name], grads[name]
    torch.testing.assert_close(grad_out.T @ x_in, mlp[int(name)].weight.grad)
    torch.testing.assert_close(grad_out.sum(0), mlp[int(name)].bias.grad)
torch.testing.assert_close(grads["2"][0], grads["1"][1])
torch.testing.assert_close(grads["1"][0], grads["0"][1])
torch.testing.assert_close(grads["0"][0], X_in.grad)
torch.testing.assert_close(outputs["1"], F.relu(outputs["0"]))
print("hook gradients match the parameter .grad and the chain of layers")

# %% [markdown]
# The weight and bias gradients rebuilt from the hooked tensors equal autograd's, the
# gradients chain from layer to layer, and the first layer's `grad_input` is
# `X_in.grad`.
#
# ### 12.2 Removing the hooks
#
# Each `register_*_hook` returned a `RemovableHandle`; `remove()` deletes the hook
# from the module's dict. After that, a forward pass captures nothing.

# %%
for handle in handles:
    handle.remove()
inputs.clear()
outputs.clear()
mlp(X)
hook_counts = [len(layer._forward_pre_hooks) + len(layer._forward_hooks)
               + len(layer._backward_hooks) for layer in mlp]
print(type(handles[0]).__name__, "| hooks left per layer:", hook_counts,
      "| captured:", len(inputs) + len(outputs))
assert hook_counts == [0, 0, 0] and not inputs and not outputs

# %% [markdown]
# No hook is left and the new forward pass stored nothing: keep the handles, or hooks
# pile up on every re-run of a cell.
#
# ## Summary
#
# - `__setattr__` routes a `Parameter` to `_parameters` (through
#   `register_parameter`), a module to `_modules` (directly, not through `add_module`)
#   and an `nn.Buffer` to `_buffers`; a plain tensor, or layers in a Python `list` or
#   `dict`, are invisible to `parameters()`, `state_dict` and `.to()` (use
#   `nn.ModuleList`/`nn.ModuleDict`). `Module.to` converts in place and returns self,
#   `Tensor.to` returns a new tensor, and `state_dict()` shares storage with the
#   weights (`copy.deepcopy` for a snapshot).
# - The three registration methods refuse the same names (`TypeError` for a non-str,
#   `KeyError` for `.`, `""` and any attribute outside their own registry, method
#   names included) and a wrong value (`TypeError`; `ValueError` for a `Parameter`
#   with a `grad_fn`); `register_parameter` and `register_buffer` check the name
#   first, `add_module` the value; assigning a `Parameter` skips the check for an
#   existing attribute and replaces it; nothing can be registered before
#   `super().__init__()`.
# - `apply`, `train`/`eval` and `requires_grad_` recurse through the whole tree;
#   `apply` is post-order; Dropout and BatchNorm compute different numbers in the two
#   modes, and BatchNorm updates its running statistics only in train mode; `eval()`
#   leaves autograd on (`no_grad()` stops recording; `inference_mode()` also makes
#   tensors that autograd cannot save for backward or that cannot be updated in place
#   later); `zero_grad()` now sets gradients to `None`.
# - Forward-pre, forward and full backward hooks capture activations and gradients
#   that agree with autograd; their handles remove them.
# - The installed source differs from the note's 2019 quote: more attributes in
#   `__init__`, `persistent=` buffers, no `torch._six`, `set_to_none=True`,
#   positional `state_dict` arguments deprecated (a `FutureWarning`); the quoted
#   `forward` does not even compile.
#
# ## Exercises
#
# 1. Change `ScaleShift` to register `offset` with `register_buffer(...,
#    persistent=False)`. Which of `.double()`, `state_dict()` and `named_buffers()`
#    see it now?
# 2. Write an `apply` function that counts the parameters of each `nn.Linear` in
#    `nested`, and a second one that prints `type(module).__name__`; check that the
#    order of the printout is post-order.
# 3. Feed a `BatchNorm1d(IN_FEATURES, momentum=None)` (a cumulative average) the
#    kind of batches of section 10.1's trace: what does its running mean equal after
#    `k` batches, and how far from `BN_SHIFT` is it compared with the default
#    momentum after `NUM_TRAIN_STEPS` batches?
# 4. Freeze the last layer of (a copy of) `mlp` from section 12, attach full backward
#    hooks again and print which layers still report a `grad_output`. Does freezing a
#    layer stop gradients flowing *through* it?
# 5. Register a forward hook that returns a modified output (for example
#    `output * 0`) and show that the model's result changes; then remove it.
#
# ## Further reading
#
# - [torch.nn.Module](https://pytorch.org/docs/stable/generated/torch.nn.Module.html):
#   every method used here, hooks included.
# - [Saving and loading models](https://pytorch.org/tutorials/beginner/saving_loading_models.html):
#   `state_dict`, `strict`, checkpoints.
# - [torch.nn.BatchNorm1d](https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm1d.html)
#   and [torch.nn.Dropout](https://pytorch.org/docs/stable/generated/torch.nn.Dropout.html).
# - [torch.nn.parameter.Buffer](https://pytorch.org/docs/stable/generated/torch.nn.parameter.Buffer.html).
# - [Autograd mechanics](https://pytorch.org/docs/stable/notes/autograd.html):
#   `set_to_none`, leaf tensors and hooks.
#
# ## Solutions

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 1: a non-persistent buffer follows .double() and named_buffers, not saving
class ScaleShiftBuffer(ScaleShift):
    def __init__(self, width):
        super().__init__(width)
        del self.offset  # the plain attribute would make register_buffer refuse it
        self.register_buffer("offset", torch.zeros(width), persistent=False)


buffered = ScaleShiftBuffer(IN_FEATURES).double()
seen = {".double()": buffered.offset.dtype == torch.float64,
        "state_dict()": "offset" in buffered.state_dict(),
        "named_buffers()": "offset" in dict(buffered.named_buffers())}
print(seen)
assert seen == {".double()": True, "state_dict()": False, "named_buffers()": True}

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 2: two apply functions on nested; the type names come out in post-order
linear_sizes, type_names = {}, []


def count_linear(module):
    if isinstance(module, nn.Linear):
        linear_sizes[names[module]] = sum(p.numel() for p in module.parameters())


def record_type(module):
    visited.append(module)
    type_names.append(type(module).__name__)


visited = []
nested.apply(count_linear)
nested.apply(record_type)
print(linear_sizes)
print(" -> ".join(type_names))
assert linear_sizes == {"encoder.fc": (IN_FEATURES + 1) * HIDDEN,
                        "head": (HIDDEN + 1) * NUM_CLASSES}
position = {id(module): i for i, module in enumerate(visited)}
pairs_seen = [(a, d) for a in visited for d in a.modules() if d is not a]
assert pairs_seen and all(position[id(d)] < position[id(a)] for a, d in pairs_seen)
print(f"{len(pairs_seen)} ancestor/descendant pairs in this run's order, "
      "each descendant visited first: post-order")

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 3: momentum=None keeps the exact mean of all batch means seen so far
cumulative = nn.BatchNorm1d(IN_FEATURES, momentum=None)
default = nn.BatchNorm1d(IN_FEATURES)
local_generator = torch.Generator().manual_seed(SEED)
batch_means = []
with torch.no_grad():
    for _ in range(NUM_TRAIN_STEPS):
        batch = BN_SHIFT + torch.randn(BATCH_SIZE, IN_FEATURES,
                                       generator=local_generator)
        cumulative(batch)
        default(batch)
        batch_means.append(batch.mean(0))
        torch.testing.assert_close(cumulative.running_mean,
                                   torch.stack(batch_means).mean(0))
mom, k = default.momentum, NUM_TRAIN_STEPS  # batch i: weight mom (1-mom)^(k-1-i)
batch_weights = [mom * (1 - mom) ** (k - 1 - i) for i in range(k)]
expected_default = sum(w * mean for w, mean in zip(batch_weights, batch_means,
                                                   strict=True))
torch.testing.assert_close(default.running_mean, expected_default)
assert abs(1 - sum(batch_weights) - (1 - mom) ** k) < 1e-12  # the zeros' weight
print(f"after {NUM_TRAIN_STEPS} batches, mean over features: momentum=None "
      f"≈{cumulative.running_mean.mean():.4f}, momentum={default.momentum} "
      f"≈{default.running_mean.mean():.4f}, data mean {BN_SHIFT}")

# %% [markdown]
# After `k` batches the cumulative running mean equals the average of the `k` batch
# means (asserted at every step), so it sits at the data mean up to sampling noise
# from the first batch on; the default momentum's running mean is the weighted sum
# of the batch means (asserted), whose weights leave `(1 - momentum) ** k` to its
# initial zeros.

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 4: a frozen last layer still passes gradients down to the first one
frozen_mlp = copy.deepcopy(mlp)
frozen_mlp.zero_grad()
frozen_mlp[2].requires_grad_(False)
reported = {}
hook_handles = [layer.register_full_backward_hook(
    lambda module, grad_in, grad_out, name=name: reported.update({name: grad_out[0]
                                                                  is not None}))
    for name, layer in frozen_mlp.named_children()]
loss_fn(frozen_mlp(X.clone().requires_grad_(True)), y).backward()
for handle in hook_handles:
    handle.remove()
print("grad_output reported:", reported)
print("weight grads: layer 0", frozen_mlp[0].weight.grad is not None,
      "| layer 2", frozen_mlp[2].weight.grad is not None)
assert all(reported.values()) and frozen_mlp[0].weight.grad is not None
assert frozen_mlp[2].weight.grad is None

# %% jupyter={"source_hidden": true} tags=["solution"]
# Exercise 5: a forward hook that returns a value replaces the layer's output
def zero_output(module, args, output):
    return output * 0


hook_handle = mlp[2].register_forward_hook(zero_output)
with torch.no_grad():
    hooked = mlp(X)
    hook_handle.remove()
    restored = mlp(X)
print("hooked output all zero:", not hooked.any().item(),
      "| after remove() nonzero again:", restored.any().item())
assert not hooked.any() and restored.any() and not mlp[2]._forward_hooks
