"""Fixtures shared by the attack tests."""

import importlib.util

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models on shared cores: one OpenMP / BLAS / torch thread is much faster."""
    torch = None
    if importlib.util.find_spec("torch") is not None:
        import torch
    threads = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        yield
    if torch is not None:
        torch.set_num_threads(threads)
