"""Pick the device a notebook runs on: explicit choice, environment, hardware."""

from __future__ import annotations

import os

import torch

#: Read when no device is passed, e.g. ``PYTORCH_NOTES_DEVICE=cpu``.
DEVICE_ENV_VAR = "PYTORCH_NOTES_DEVICE"

_KNOWN_TYPES = ("cpu", "cuda", "mps")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def available_devices() -> list[str]:
    """Return the device types usable here, best first (always ends with ``"cpu"``)."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if _mps_available():
        found.append("mps")
    return [*found, "cpu"]


def get_device(prefer: str | torch.device | None = None) -> torch.device:
    """Return the argument's device, else ``$PYTORCH_NOTES_DEVICE``, else CUDA/MPS/CPU.

    ``None``, ``""`` and ``"auto"`` mean "choose for me". An unknown name raises
    ``ValueError``; a known device that is absent raises ``RuntimeError``.
    """
    choice = str(prefer).strip() if prefer is not None else ""
    if choice in ("", "auto"):
        choice = os.environ.get(DEVICE_ENV_VAR, "").strip()
    if choice in ("", "auto"):
        return torch.device(available_devices()[0])

    try:
        device = torch.device(choice)
    except RuntimeError as err:
        raise ValueError(
            f"unknown device {choice!r}; use one of {', '.join(_KNOWN_TYPES)} or 'auto'"
        ) from err
    if device.type not in _KNOWN_TYPES:
        raise ValueError(
            f"unsupported device {choice!r}; "
            f"use one of {', '.join(_KNOWN_TYPES)} or 'auto'"
        )
    available = available_devices()
    if device.type not in available:
        raise RuntimeError(
            f"device {choice!r} was requested but is not available here; "
            f"available: {', '.join(available)}"
        )
    if device.type == "cuda" and device.index is not None:
        count = torch.cuda.device_count()
        if device.index >= count:
            raise RuntimeError(
                f"device {choice!r} was requested but only {count} CUDA device(s) exist"
            )
    return device
