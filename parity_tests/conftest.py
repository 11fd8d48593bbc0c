"""Shared fixtures of the parity suite: the committed manifest, and every model retrained from the
shipped data once per session (the native side of native-vs-ONNX parity)."""

from __future__ import annotations

import pytest

from parity_tests import reporting
from trainer.export import MODELS_DIR, load_manifest, train_all
from trainer.modeling import TrainedModel


@pytest.fixture(scope="session")
def manifest() -> dict:
    return load_manifest(MODELS_DIR)


@pytest.fixture(scope="session")
def trained() -> dict[str, TrainedModel]:
    return {m.name: m for m in train_all(progress=lambda _m: None)}


def pytest_configure(config: pytest.Config) -> None:
    reporting.bind(config)
