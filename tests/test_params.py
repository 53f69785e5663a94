"""check_params: every rule refuses bad values in one line, and every notebook's
parameters cell is checked, parameter by parameter, by the call right after it."""

from __future__ import annotations

import ast

import jupytext
import pytest

import helpers.params as params_mod
from ci.catalog import NOTEBOOKS, notebook_paths
from helpers.params import (
    Device,
    Float,
    Int,
    OneOf,
    OrNone,
    ParameterError,
    Rule,
    Seed,
    Seq,
    Table,
    Text,
    check_params,
)

RULE_NAMES = {name: getattr(params_mod, name) for name in params_mod.__dict__}


def refusal(namespace: dict, **rules: Rule) -> str:
    with pytest.raises(ParameterError) as caught:
        check_params(namespace, **rules)
    return str(caught.value)


def test_the_issue_example_reads_as_one_line():
    message = refusal({"NUM_EPOCHS": -5}, NUM_EPOCHS=Int(min=1))
    assert message == "NUM_EPOCHS must be a positive int, got -5"


@pytest.mark.parametrize(
    ("rule", "good", "bad", "words"),
    [
        (Int(min=1), 3, 0, "a positive int"),
        (Int(min=0), 0, -1, "a non-negative int"),
        (Int(min=2, max=4), 4, 5, "an int in [2, 4]"),
        (Int(), 7, 1.0, "an int"),
        (Seed(), 2**32 - 1, 2**32, "an int in [0, 2**32 - 1]"),
        (Float(gt=0), 1e-9, 0.0, "a positive number"),
        (Float(ge=0), 0, -0.1, "a non-negative number"),
        (Float(ge=0, lt=1), 0.0, 1.0, "a number in [0, 1)"),
        (Float(gt=0, le=1), 1, 0, "a number in (0, 1]"),
        (Float(), -3, float("inf"), "a finite number"),
        (OneOf(10), 10, 10.0, "one of 10"),
        (Device(), "cuda:1", "gpu", "one of 'auto', 'cpu', 'cuda', 'cuda:N', 'mps'"),
        (Text(), "The ", "", "a non-empty str"),
        (Seq(Int(min=1), increasing=True), [1, 5], [5, 1], "increasing"),
        (Seq(Float(), length=2), (0.5, 1), (0.5,), "a list or tuple of 2 items"),
        (Table(("a", "b"), Float(gt=0)), {"a": 1, "b": 2.5}, {"a": 1}, "the keys"),
        (OrNone(Float(gt=0)), None, -1, "None or a positive number"),
    ],
)
def test_each_rule_accepts_the_good_and_names_what_is_allowed(rule, good, bad, words):
    check_params({"P": good}, P=rule)
    message = refusal({"P": bad}, P=rule)
    assert message.startswith("P must be ") and words in message
    assert message.endswith(f", got {bad!r}") and "\n" not in message


@pytest.mark.parametrize("rule", [Int(), Float(), Seed()], ids=["Int", "Float", "Seed"])
def test_a_bool_is_not_a_number(rule):
    assert refusal({"P": True}, P=rule).endswith("got True")


def test_bounds_may_name_parameters_checked_before():
    rules = {"NUM_EPOCHS": Int(min=1), "RESUME": Int(min=1, max="NUM_EPOCHS - 1")}
    check_params({"NUM_EPOCHS": 10, "RESUME": 9}, **rules)
    message = refusal({"NUM_EPOCHS": 10, "RESUME": 10}, **rules)
    assert message == "RESUME must be an int in [1, NUM_EPOCHS - 1 = 9], got 10"
    with pytest.raises(TypeError, match="checked before it"):
        check_params({"A": 1}, A=Int(max="LATER"))


def test_the_first_bad_parameter_is_named_and_a_missing_one_too():
    rules = {"A": Int(min=1), "B": Int(min=1)}
    assert refusal({"A": 0, "B": 0}, **rules).startswith("A must be")
    assert refusal({"A": 1}, **rules).startswith("B is not defined")


def test_ipython_shows_the_one_line_instead_of_a_traceback():
    err = ParameterError("LR must be a positive number, got 0")
    assert err._render_traceback_() == [
        "ParameterError: LR must be a positive number, got 0"
    ]


def test_a_rule_that_is_not_a_rule_is_a_mistake_in_the_notebook():
    with pytest.raises(TypeError, match="must be a Rule"):
        check_params({"A": 1}, A=int)


# --- every notebook -----------------------------------------------------------------


def parameter_cells(path) -> tuple[str, str]:
    """Sources of the ``parameters`` cell and of the code cell after it."""
    nb = jupytext.read(path.with_suffix(".py"))
    index = next(
        i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])
    )
    following = next(c for c in nb.cells[index + 1 :] if c.cell_type == "code")
    return nb.cells[index].source, following.source


def recorded_rules(check_source: str, namespace: dict) -> dict[str, Rule]:
    """Run the check cell with a check_params that records its rules."""
    recorded: dict[str, Rule] = {}

    def record(_namespace, **rules):
        recorded.update(rules)

    exec(check_source, {**RULE_NAMES, **namespace, "check_params": record})
    return recorded


NOTEBOOK_PATHS = notebook_paths(NOTEBOOKS)


def test_every_notebook_is_covered():
    assert len(NOTEBOOK_PATHS) == 9


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.stem)
def test_each_parameter_of_each_notebook_refuses_bad_values_in_one_line(path):
    params_source, check_source = parameter_cells(path)
    defaults: dict = {}
    exec(params_source, {}, defaults)
    assigned = {
        n.id
        for node in ast.walk(ast.parse(params_source))
        if isinstance(node, ast.Assign)
        for target in node.targets
        for n in ast.walk(target)
        if isinstance(n, ast.Name)
    }
    rules = recorded_rules(check_source, defaults)
    assert set(rules) == assigned, "check_params must name exactly the parameters"
    check_params(defaults, **rules)  # the notebook's own values pass

    known: dict = {}
    tried = 0
    for name, rule in rules.items():
        for bad in rule.bad_examples(known):
            message = refusal({**defaults, name: bad}, **rules)
            assert message.startswith(f"{name} must be "), message
            assert message.endswith(f"got {bad!r}") and "\n" not in message
            tried += 1
        known[name] = defaults[name]
    assert tried >= 2 * len(rules)
