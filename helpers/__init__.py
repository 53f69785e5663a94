"""Shared helpers for the notebooks: device, seed, parameters, data, plots, training.

Submodules load on first use (PEP 562), so ``from helpers import get_device`` does not
pay for matplotlib or scikit-learn. Importing this package has no side effects.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DEVICE_ENV_VAR": "device",
    "available_devices": "device",
    "get_device": "device",
    "set_seed": "seed",
    "Device": "params",
    "Float": "params",
    "Int": "params",
    "OneOf": "params",
    "OrNone": "params",
    "ParameterError": "params",
    "Seed": "params",
    "Seq": "params",
    "Table": "params",
    "Text": "params",
    "check_params": "params",
    "DIGITS_SPLIT_SEED": "data",
    "digits_loaders": "data",
    "digits_tensors": "data",
    "python_docs_topics": "data",
    "grid_axes": "plotting",
    "plot_losses": "plotting",
    "plot_lr": "plotting",
    "SchedulerFactory": "schedules",
    "lr_trace": "schedules",
    "evaluate": "training",
    "fit": "training",
    "train_epoch": "training",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'helpers' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"helpers.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
