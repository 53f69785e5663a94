"""Data that ships with installed packages or the project: nothing is downloaded."""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

#: The train/test split of the digits never depends on the notebook's SEED.
DIGITS_SPLIT_SEED = 0
#: The project's own data files (see data/README.md).
DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def digits_tensors(
    size: int = 32, test_size: float = 0.2
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return scikit-learn's 8x8 digits as ``X_train, X_test, y_train, y_test`` tensors.

    Images are scaled to [0, 1], shaped ``(N, 1, size, size)`` (bilinear resize from
    8x8), labels are int64. The stratified split is fixed (``DIGITS_SPLIT_SEED``).
    """
    if size < 8:
        raise ValueError(f"size must be at least 8, got {size}")
    bunch = load_digits()
    images = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0
    if size != 8:
        images = F.interpolate(
            images, size=(size, size), mode="bilinear", align_corners=False
        )
    labels = torch.tensor(bunch.target, dtype=torch.int64)
    idx_train, idx_test = train_test_split(
        torch.arange(len(labels)).numpy(),
        test_size=test_size,
        random_state=DIGITS_SPLIT_SEED,
        stratify=labels.numpy(),
    )
    idx_train, idx_test = torch.from_numpy(idx_train), torch.from_numpy(idx_test)
    return images[idx_train], images[idx_test], labels[idx_train], labels[idx_test]


def digits_loaders(
    batch_size: int = 64,
    *,
    size: int = 32,
    test_size: float = 0.2,
    generator: torch.Generator | None = None,
) -> tuple[DataLoader, DataLoader]:
    """Return ``(train_loader, test_loader)`` over the digits; only train shuffles."""
    X_train, X_test, y_train, y_test = digits_tensors(size=size, test_size=test_size)
    train_loader = DataLoader(
        TensorDataset(X_train, y_train),
        batch_size=batch_size,
        shuffle=True,
        generator=generator,
    )
    test_loader = DataLoader(TensorDataset(X_test, y_test), batch_size=256)
    return train_loader, test_loader


def python_docs_topics() -> dict[str, str]:
    """Return Python's help topics (CPython 3.11.7's ``pydoc_data``), name -> text.

    The copy in ``data/`` is the same on every Python, unlike the installed module.
    """
    path = DATA_DIR / "python_docs_topics.json"
    with path.open(encoding="ascii") as file:
        return json.load(file)["topics"]
