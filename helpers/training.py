"""A small train/evaluate loop for classifiers, shared by the notebooks that train."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.utils.data import DataLoader


def train_epoch(
    model: nn.Module,
    loader: DataLoader,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    device: torch.device,
) -> float:
    """Run one epoch of training and return the mean loss per example."""
    model.train()
    total, count = 0.0, 0
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        logits = model(X)
        loss = loss_fn(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: DataLoader,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    device: torch.device,
) -> tuple[float, float]:
    """Return ``(mean loss, accuracy)`` of a classifier over ``loader`` (eval mode)."""
    model.eval()
    total, correct, count = 0.0, 0, 0
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        logits = model(X)
        total += loss_fn(logits, y).item() * len(y)
        correct += (logits.argmax(dim=1) == y).sum().item()
        count += len(y)
    return total / count, correct / count


def fit(
    model: nn.Module,
    train_loader: DataLoader,
    test_loader: DataLoader,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    num_epochs: int,
    device: torch.device,
    *,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    log_every: int = 0,
) -> dict[str, list[float]]:
    """Train ``num_epochs`` (stepping ``scheduler`` after each epoch); return history.

    The history has ``train_loss``, ``test_loss``, ``test_acc`` and ``lr``, one value
    per epoch. With ``log_every=k`` it prints every k-th epoch in the project's format;
    the numbers come after ``≈``, since their digits depend on the machine's rounding.
    """
    if num_epochs < 1:
        raise ValueError(f"num_epochs must be positive, got {num_epochs}")
    history: dict[str, list[float]] = {
        "train_loss": [],
        "test_loss": [],
        "test_acc": [],
        "lr": [],
    }
    for epoch in range(1, num_epochs + 1):
        history["lr"].append(optimizer.param_groups[0]["lr"])
        train_loss = train_epoch(model, train_loader, loss_fn, optimizer, device)
        test_loss, test_acc = evaluate(model, test_loader, loss_fn, device)
        if scheduler is not None:
            scheduler.step()
        history["train_loss"].append(train_loss)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
        if log_every and (epoch % log_every == 0 or epoch == num_epochs):
            print(
                f"epoch {epoch:>3d} | loss ≈{train_loss:.4f} | "
                f"test loss ≈{test_loss:.4f} | acc ≈{test_acc:.2%}"
            )
    return history
