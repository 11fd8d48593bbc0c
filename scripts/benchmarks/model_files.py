"""Each .onnx file size."""

from __future__ import annotations

from .common import BAR_ONNX_BYTES, Bench


def bench_onnx(b: Bench) -> None:
    from trainer.export import MODELS_DIR, load_manifest

    manifest = load_manifest(MODELS_DIR)
    sizes = {}
    for name, entry in sorted(manifest["models"].items()):
        path = MODELS_DIR / entry["file"]
        size = path.stat().st_size if path.exists() else entry["size_bytes"]
        sizes[name] = size
        b.row(
            f"{name}.onnx",
            f"{size / 1024:.0f} KiB",
            "<= 2 MB",
            size <= BAR_ONNX_BYTES,
            "" if size == entry["size_bytes"] else "file size differs from the manifest!",
        )
    b.details["onnx_bytes"] = sizes
