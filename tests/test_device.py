"""get_device: argument, then environment, then CUDA, MPS, CPU; clear errors."""

import pytest
import torch

from helpers import device as device_mod
from helpers.device import DEVICE_ENV_VAR, available_devices, get_device


@pytest.fixture
def hardware(monkeypatch):
    """Pretend the machine has the given accelerators."""

    def _set(cuda: bool = False, mps: bool = False, cuda_count: int = 1):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(
            torch.cuda, "device_count", lambda: cuda_count if cuda else 0
        )
        monkeypatch.setattr(device_mod, "_mps_available", lambda: mps)
        monkeypatch.delenv(DEVICE_ENV_VAR, raising=False)

    return _set


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_auto_prefers_cuda_then_mps_then_cpu(hardware, cuda, mps, expected):
    hardware(cuda=cuda, mps=mps)
    assert get_device().type == expected
    assert get_device("auto").type == expected
    assert available_devices()[-1] == "cpu"


def test_explicit_argument_beats_environment(hardware, monkeypatch):
    hardware(cuda=True)
    monkeypatch.setenv(DEVICE_ENV_VAR, "cuda")
    assert get_device("cpu") == torch.device("cpu")


def test_environment_beats_hardware(hardware, monkeypatch):
    hardware(cuda=True)
    monkeypatch.setenv(DEVICE_ENV_VAR, "cpu")
    assert get_device() == torch.device("cpu")
    assert get_device("auto") == torch.device("cpu")


def test_absent_device_is_an_error_naming_what_is_available(hardware):
    hardware(cuda=False, mps=True)
    with pytest.raises(
        RuntimeError, match="'cuda'.*not available.*available: mps, cpu"
    ):
        get_device("cuda")


def test_absent_device_from_environment_is_an_error(hardware, monkeypatch):
    hardware(cuda=False)
    monkeypatch.setenv(DEVICE_ENV_VAR, "cuda")
    with pytest.raises(RuntimeError, match="available: cpu"):
        get_device()


def test_cuda_index_beyond_device_count(hardware):
    hardware(cuda=True, cuda_count=1)
    assert get_device("cuda:0") == torch.device("cuda:0")
    with pytest.raises(RuntimeError, match="only 1 CUDA device"):
        get_device("cuda:1")


@pytest.mark.parametrize("name", ["gpu", "cuda0", "tpu:x", "banana"])
def test_unknown_name_is_a_value_error(hardware, name):
    hardware()
    with pytest.raises(ValueError, match="device"):
        get_device(name)


def test_known_to_torch_but_unsupported_type_is_a_value_error(hardware):
    hardware()
    with pytest.raises(ValueError, match="unsupported device 'meta'"):
        get_device("meta")


def test_accepts_a_torch_device(hardware):
    hardware()
    assert get_device(torch.device("cpu")) == torch.device("cpu")
