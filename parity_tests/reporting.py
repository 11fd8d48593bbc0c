"""Figures the parity suite measured, printed even while pytest captures output (its fd capture
redirects sys.__stdout__ too, so capture is suspended around each line)."""

from __future__ import annotations

from typing import Any

_capture: list[Any] = []


def bind(config: Any) -> None:
    """Called by conftest's pytest_configure with pytest's config."""
    _capture[:] = [config.pluginmanager.getplugin("capturemanager")]


def report(line: str, tag: str = "parity") -> None:
    manager = _capture[0] if _capture else None
    if manager is None:
        print(f"[{tag}] {line}", flush=True)
        return
    with manager.global_and_fixture_disabled():
        print(f"[{tag}] {line}", flush=True)
