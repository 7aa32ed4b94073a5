"""Model unit tests: one SQL model built alone from hand-made rows (tests/models/harness.py)."""

from __future__ import annotations

import pytest

from tests.models.harness import build_model


@pytest.fixture(scope="session")
def model_rows():
    """build_model: {relation: rows} in, the model's rows out; no load, no workbook."""
    return build_model
