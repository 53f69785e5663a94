"""Check a notebook's parameters at the top, so a bad value fails in one line.

Each notebook calls :func:`check_params` right after its ``parameters`` cell (where
papermill injects overrides)::

    check_params(globals(), SEED=Seed(), DEVICE=Device(), NUM_EPOCHS=Int(min=1))

A bad value raises :class:`ParameterError` with one line that names the parameter, the
value and what is allowed, e.g. ``NUM_EPOCHS must be a positive int, got -5``; IPython
and papermill show that line instead of a traceback. A bound may name parameters
checked earlier in the same call (``Int(min=1, max="NUM_EPOCHS")``); the message then
shows the bound's value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any

Bound = float | int | str | None

_DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


class ParameterError(ValueError):
    """A parameter has the wrong type or value; notebooks show only this one line."""

    def _render_traceback_(self) -> list[str]:  # IPython's hook for a custom traceback
        return [f"{type(self).__name__}: {self}"]


def _is_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return (
        isinstance(value, Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _resolve(bound: Bound, known: Mapping[str, Any]) -> tuple[float | None, str]:
    """The bound's value and how a message shows it (``NUM_EPOCHS = 500``)."""
    if bound is None:
        return None, ""
    if not isinstance(bound, str):
        return bound, _number(bound)
    try:
        value = eval(bound, {"__builtins__": {}}, dict(known))
    except Exception as err:  # any failure is a mistake in the rule, not the value
        raise TypeError(
            f"bound {bound!r} must use parameters checked before it ({err})"
        ) from err
    return value, f"{bound} = {_number(value)}"


def _number(value: float) -> str:
    return str(value) if _is_int(value) else f"{value:g}"


class Rule:
    """What one parameter may be: ``accepts`` it, ``describe`` says so in words."""

    def accepts(self, value: object, known: Mapping[str, Any]) -> bool:
        raise NotImplementedError

    def describe(self, known: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def bad_examples(self, known: Mapping[str, Any]) -> list[object]:
        """Values this rule refuses (the tests feed them to every notebook)."""
        raise NotImplementedError


class Int(Rule):
    """An int (not a bool) in ``[min, max]``; either bound may be left open."""

    def __init__(self, min: Bound = None, max: Bound = None):
        self.min, self.max = min, max

    def _bounds(self, known):
        return _resolve(self.min, known), _resolve(self.max, known)

    def accepts(self, value, known):
        (lo, _), (hi, _) = self._bounds(known)
        return (
            _is_int(value)
            and (lo is None or value >= lo)
            and (hi is None or value <= hi)
        )

    def describe(self, known):
        (lo, lo_text), (hi, hi_text) = self._bounds(known)
        if hi is None:
            if lo == 1:
                return "a positive int"
            if lo == 0:
                return "a non-negative int"
            return "an int" if lo is None else f"an int >= {lo_text}"
        if lo is None:
            return f"an int <= {hi_text}"
        return f"an int in [{lo_text}, {hi_text}]"

    def bad_examples(self, known):
        (lo, _), (hi, _) = self._bounds(known)
        bad: list[object] = ["1", 1.5, True]
        if lo is not None:
            bad.append(math.ceil(lo) - 1)
        if hi is not None:
            bad.append(math.floor(hi) + 1)
        return bad


class Seed(Int):
    """A seed for ``set_seed``: an int in ``[0, 2**32 - 1]``."""

    def __init__(self):
        super().__init__(min=0, max=2**32 - 1)

    def describe(self, known):
        return "an int in [0, 2**32 - 1]"


class Float(Rule):
    """A finite number (int or float, not a bool) within the given bounds.

    ``gt``/``lt`` exclude the bound, ``ge``/``le`` include it.
    """

    def __init__(
        self, *, gt: Bound = None, ge: Bound = None, lt: Bound = None, le: Bound = None
    ):
        if gt is not None and ge is not None or lt is not None and le is not None:
            raise TypeError(
                "give at most one lower bound (gt/ge) and one upper (lt/le)"
            )
        self.gt, self.ge, self.lt, self.le = gt, ge, lt, le

    def _limits(self, known):
        lower = (
            ("(", *_resolve(self.gt, known))
            if self.gt is not None
            else ("[", *_resolve(self.ge, known))
        )
        upper = (
            (")", *_resolve(self.lt, known))
            if self.lt is not None
            else ("]", *_resolve(self.le, known))
        )
        return lower, upper

    def accepts(self, value, known):
        if not _is_real(value):
            return False
        (lo_kind, lo, _), (hi_kind, hi, _) = self._limits(known)
        if lo is not None and (value <= lo if lo_kind == "(" else value < lo):
            return False
        return not (hi is not None and (value >= hi if hi_kind == ")" else value > hi))

    def describe(self, known):
        (lo_kind, lo, lo_text), (hi_kind, hi, hi_text) = self._limits(known)
        if lo is None and hi is None:
            return "a finite number"
        if hi is None:
            if lo == 0:
                return (
                    "a positive number" if lo_kind == "(" else "a non-negative number"
                )
            return f"a number {'>' if lo_kind == '(' else '>='} {lo_text}"
        if lo is None:
            return f"a number {'<' if hi_kind == ')' else '<='} {hi_text}"
        return f"a number in {lo_kind}{lo_text}, {hi_text}{hi_kind}"

    def bad_examples(self, known):
        (lo_kind, lo, _), (hi_kind, hi, _) = self._limits(known)
        bad: list[object] = ["0.1", float("nan"), True]
        if lo is not None:
            bad.append(lo if lo_kind == "(" else lo - 1)
        if hi is not None:
            bad.append(hi if hi_kind == ")" else hi + 1)
        return bad


class OneOf(Rule):
    """One of the listed values (compared with ``==``, types included)."""

    def __init__(self, *choices: object):
        if not choices:
            raise TypeError("OneOf needs at least one choice")
        self.choices = choices

    def accepts(self, value, known):
        return any(type(value) is type(c) and value == c for c in self.choices)

    def describe(self, known):
        return "one of " + ", ".join(repr(c) for c in self.choices)

    def bad_examples(self, known):
        return [object.__name__, None]


class Device(Rule):
    """A device name for ``get_device``: auto, cpu, mps, cuda or cuda:N."""

    def accepts(self, value, known):
        return isinstance(value, str) and bool(_DEVICE_RE.match(value))

    def describe(self, known):
        return "one of 'auto', 'cpu', 'cuda', 'cuda:N', 'mps'"

    def bad_examples(self, known):
        return ["gpu", "cuda:x", 0]


class Text(Rule):
    """A str of at least ``min_length`` characters."""

    def __init__(self, min_length: int = 1):
        self.min_length = min_length

    def accepts(self, value, known):
        return isinstance(value, str) and len(value) >= self.min_length

    def describe(self, known):
        if self.min_length == 1:
            return "a non-empty str"
        return f"a str of at least {self.min_length} characters"

    def bad_examples(self, known):
        bad: list[object] = [1]
        if self.min_length > 0:
            bad.append("x" * (self.min_length - 1))
        return bad


class Seq(Rule):
    """A list or tuple whose items all pass ``item``.

    ``length`` fixes the number of items; ``increasing`` requires strictly increasing
    items.
    """

    def __init__(
        self, item: Rule, *, length: int | None = None, increasing: bool = False
    ):
        self.item, self.length, self.increasing = item, length, increasing

    def accepts(self, value, known):
        if not isinstance(value, list | tuple) or not value:
            return False
        if self.length is not None and len(value) != self.length:
            return False
        if not all(self.item.accepts(v, known) for v in value):
            return False
        return not self.increasing or all(
            a < b for a, b in zip(value, value[1:], strict=False)
        )

    def describe(self, known):
        count = f"{self.length} " if self.length is not None else ""
        order = ", increasing" if self.increasing else ""
        return (
            f"a list or tuple of {count}items, each {self.item.describe(known)}{order}"
        )

    def bad_examples(self, known):
        bad_item = self.item.bad_examples(known)[0]
        bad: list[object] = [bad_item, [bad_item] * (self.length or 2), []]
        if self.length is not None:
            bad.append([None] * (self.length + 1))
        return bad


class Table(Rule):
    """A dict with exactly the given keys, each value passing ``value``."""

    def __init__(self, keys: Sequence[str], value: Rule):
        self.keys, self.value = tuple(keys), value

    def accepts(self, value, known):
        return (
            isinstance(value, Mapping)
            and set(value) == set(self.keys)
            and all(self.value.accepts(v, known) for v in value.values())
        )

    def describe(self, known):
        keys = ", ".join(repr(k) for k in self.keys)
        return f"a dict with the keys {keys}, each value {self.value.describe(known)}"

    def bad_examples(self, known):
        bad_value = self.value.bad_examples(known)[0]
        return [
            list(self.keys),
            {k: bad_value for k in self.keys},
            dict.fromkeys(self.keys[:-1], 1),
        ]


class OrNone(Rule):
    """``None``, or a value that passes ``rule`` (``BatchNorm1d(momentum=None)``)."""

    def __init__(self, rule: Rule):
        self.rule = rule

    def accepts(self, value, known):
        return value is None or self.rule.accepts(value, known)

    def describe(self, known):
        return f"None or {self.rule.describe(known)}"

    def bad_examples(self, known):
        return [v for v in self.rule.bad_examples(known) if v is not None]


def check_params(namespace: Mapping[str, Any], **rules: Rule) -> None:
    """Check each named parameter of ``namespace`` against its rule, in order.

    Raise :class:`ParameterError` (one line: name, value, what is allowed) at the first
    bad value, or if a named parameter is not defined at all.
    """
    known: dict[str, Any] = {}
    for name, rule in rules.items():
        if not isinstance(rule, Rule):
            raise TypeError(f"the rule for {name} must be a Rule, got {rule!r}")
        if name not in namespace:
            raise ParameterError(
                f"{name} is not defined (expected {rule.describe(known)})"
            )
        value = namespace[name]
        if not rule.accepts(value, known):
            raise ParameterError(
                f"{name} must be {rule.describe(known)}, got {value!r}"
            )
        known[name] = value
