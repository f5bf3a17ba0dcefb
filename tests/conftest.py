"""Fixtures shared by the test files."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def torchmetrics() -> Any:
    """``(torch, torchmetrics.classification)``, or a skip when they are absent."""
    torch = pytest.importorskip("torch", reason="torchmetrics (with PyTorch) is a reference")
    tm = pytest.importorskip("torchmetrics.classification",
                             reason="torchmetrics is a reference")
    return torch, tm
