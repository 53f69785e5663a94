"""train_epoch / evaluate / fit on a small problem a linear model can solve."""

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from helpers.training import evaluate, fit, train_epoch


def blobs(n: int = 256, seed: int = 0):
    """Two well-separated Gaussian blobs in 2-D, labels 0 and 1."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    X = torch.randn(n, 2, generator=g) * 0.5 + (y.float() * 4 - 2).unsqueeze(1)
    return DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, generator=g)


def test_fit_learns_and_records_one_value_per_epoch():
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    history = fit(
        model,
        blobs(),
        blobs(seed=1),
        nn.CrossEntropyLoss(),
        optimizer,
        4,
        torch.device("cpu"),
        scheduler=scheduler,
    )
    assert {k: len(v) for k, v in history.items()} == {
        "train_loss": 4,
        "test_loss": 4,
        "test_acc": 4,
        "lr": 4,
    }
    assert history["lr"] == [0.1, 0.1, 0.05, 0.05]  # stepped after each epoch
    assert history["test_acc"][-1] > 0.95
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_fit_logs_in_the_project_format(capsys):
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    fit(
        model,
        blobs(),
        blobs(),
        nn.CrossEntropyLoss(),
        optimizer,
        3,
        torch.device("cpu"),
        log_every=2,
    )
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("|")[0].strip() for line in lines] == ["epoch   2", "epoch   3"]
    assert "acc" in lines[0] and "%" in lines[0]
    # the trained numbers are marked as machine-dependent (nbval masks them)
    assert "| loss ≈" in lines[0] and "| acc ≈" in lines[0]


def test_evaluate_uses_eval_mode_and_changes_nothing():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    before = [p.clone() for p in model.parameters()]
    loss, acc = evaluate(model, blobs(), nn.CrossEntropyLoss(), torch.device("cpu"))
    assert not model.training
    assert 0.0 <= acc <= 1.0 and loss > 0
    assert all(
        torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True)
    )
    # Dropout is off in eval mode, so two evaluations agree exactly.
    assert (
        evaluate(model, blobs(), nn.CrossEntropyLoss(), torch.device("cpu"))[0] == loss
    )


def test_train_epoch_sets_train_mode_and_updates_parameters():
    model = nn.Linear(2, 2).eval()
    before = model.weight.clone()
    train_epoch(
        model,
        blobs(),
        nn.CrossEntropyLoss(),
        torch.optim.SGD(model.parameters(), lr=0.1),
        torch.device("cpu"),
    )
    assert model.training
    assert not torch.equal(before, model.weight)


def test_fit_needs_at_least_one_epoch():
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError):
        fit(
            model,
            blobs(),
            blobs(),
            nn.CrossEntropyLoss(),
            torch.optim.SGD(model.parameters(), lr=0.1),
            0,
            torch.device("cpu"),
        )
