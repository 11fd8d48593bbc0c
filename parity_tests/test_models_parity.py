"""The exported models: the manifest matches the files; the same data gives the same bytes; the
native estimators, onnxruntime (Python), the runtime's built-in engine and onnxruntime-web (both in
Deno, under the hosted runtime's shim) give the same answers on the golden vectors and on every
row of the shipped data.

Bars (DESIGN.md): native vs onnxruntime, labels exact, probabilities within 1e-5, regression within
1e-5 x max(1, |y|); onnxruntime (1 thread) vs each engine of the functions, bit-identical."""

from __future__ import annotations

import json

import numpy as np
import pytest

from parity_tests.ort_web import (
    WebRun,
    assert_bit_identical,
    max_deltas,
    run_ort_python,
    run_ort_web,
)
from parity_tests.reporting import report
from trainer.export import INPUT_NAME, MODELS_DIR, native_outputs, sha256_bytes, to_onnx
from trainer.registry import check_model

TOLERANCE = 1e-5


def assert_close_to_native(name: str, native: dict, onnx: dict, X: np.ndarray) -> None:
    """DESIGN.md's native-vs-onnxruntime bar; the message names the model, row and both values."""
    for output, want in native.items():
        got = np.asarray(onnx[output]).reshape(want.shape)
        if output == "label":
            bad = np.flatnonzero(got != want)
            limit = 0.0
        else:
            scale = TOLERANCE * np.maximum(1.0, np.abs(want.astype(np.float64)))
            delta = np.abs(got.astype(np.float64) - want)
            bad = np.unique(np.argwhere(delta > scale)[:, 0])
            limit = TOLERANCE
        if bad.size:
            row = int(bad[0])
            pytest.fail(
                f"model {name}, output {output}: {bad.size} rows beyond {limit}; first row {row}:"
                f" native {want[row].tolist()} vs onnxruntime {got[row].tolist()};"
                f" features {X[row].tolist()}"
            )


def all_rows(model) -> np.ndarray:
    parts = [np.asarray(model.X_golden, np.float32)]
    if model.X_all is not None:
        parts.append(np.asarray(model.X_all, np.float32))
    return np.vstack(parts)


def test_the_manifest_matches_the_files(manifest):
    assert manifest["models"], "no models exported"
    for entry in manifest["models"].values():
        data = (MODELS_DIR / entry["file"]).read_bytes()
        check_model(entry, data)  # sha256, input name and width, output names
        assert entry["size_bytes"] == len(data) <= 2 * 1024 * 1024, entry["name"]
        assert (MODELS_DIR / entry["golden"]).exists()
        # Pinned opsets: onnxmltools' XGBoost graphs use only the ai.onnx.ml domain.
        assert entry["opsets"].get("ai.onnx", 0) <= 15
        assert entry["opsets"]["ai.onnx.ml"] <= 3
    report(
        f"{len(manifest['models'])} models; sizes (KiB): "
        + ", ".join(
            f"{e['name']}={e['size_bytes'] / 1024:.0f}" for e in manifest["models"].values()
        )
    )


def test_the_same_data_gives_the_same_model_bytes(manifest, trained):
    assert set(trained) == set(manifest["models"]), "exported models differ from the families'"
    for name, model in trained.items():
        data = to_onnx(model).SerializeToString(deterministic=True)
        assert sha256_bytes(data) == manifest["models"][name]["sha256"], (
            f"model {name}: retraining on the shipped data gives other bytes than the committed"
            " onnx_models/ (re-run `python -m trainer export --force` and commit)"
        )


def test_native_and_onnxruntime_agree_on_golden_and_every_row(manifest, trained):
    for name, model in trained.items():
        X = all_rows(model)
        native = native_outputs(model, X)
        onnx = run_ort_python(MODELS_DIR / manifest["models"][name]["file"], INPUT_NAME, X)
        assert_close_to_native(name, native, onnx, X)
        deltas = max_deltas({k: v.astype(np.float64) for k, v in native.items()}, onnx)
        report(
            f"{name}: native vs onnxruntime over {len(X)} rows, max |delta| / relative: "
            + ", ".join(f"{k} {a:.2e} / {r:.2e}" for k, (a, r) in deltas.items())
        )


def test_committed_golden_vectors_match_the_committed_models(manifest):
    for name, entry in manifest["models"].items():
        golden = json.loads((MODELS_DIR / entry["golden"]).read_text())
        X = np.asarray(golden["features"], np.float32)
        onnx = run_ort_python(MODELS_DIR / entry["file"], INPUT_NAME, X)
        expected = {k: np.asarray(v) for k, v in golden["expected"].items()}
        assert_close_to_native(name, expected, onnx, X)


ENGINE_LABELS = {"web": "onnxruntime-web (Deno)", "builtin": "built-in engine (Deno)"}


@pytest.mark.parametrize("engine", ["builtin", "web"])
def test_onnxruntime_and_each_engine_are_bit_identical(manifest, trained, engine):
    names = sorted(manifest["models"])
    inputs = {n: all_rows(trained[n]) for n in names}
    runs = [
        WebRun(MODELS_DIR / manifest["models"][n]["file"], INPUT_NAME, inputs[n]) for n in names
    ]
    outputs = run_ort_web(runs, engine=engine)
    for name, out in zip(names, outputs, strict=True):
        python_out = run_ort_python(
            MODELS_DIR / manifest["models"][name]["file"], INPUT_NAME, inputs[name]
        )
        assert_bit_identical(
            name, python_out, out, rows=inputs[name], actual_label=ENGINE_LABELS[engine]
        )
        report(
            f"{name}: onnxruntime vs {ENGINE_LABELS[engine]} bit-identical over"
            f" {len(inputs[name])} rows"
        )
