"""onnxruntime (Python, 1 thread) vs onnxruntime-web 1.18.0 (Deno, under the edge runtime shim):
bit-identical outputs on the small fixtures of supabase/functions/_shared/testdata.

The real models' parity test builds on the same helpers (parity_tests/ort_web.py) once
onnx_models/ exists. All runs go through one Deno subprocess.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from parity_tests.ort_web import (
    OrtWebError,
    WebRun,
    assert_bit_identical,
    max_deltas,
    run_ort_python,
    run_ort_web,
)
from parity_tests.reporting import report

TESTDATA = Path(__file__).resolve().parents[1] / "supabase" / "functions" / "_shared" / "testdata"
FIXTURES = {
    "rf_classifier": TESTDATA / "rf_classifier.onnx",
    "xgb_regressor": TESTDATA / "xgb_regressor.onnx",
}
N_COLS = 4


def _thresholds(path: Path) -> dict[int, np.ndarray]:
    """Split thresholds per feature, read from the tree ensemble node of the model."""
    model = onnx.load(path)
    per_feature: dict[int, list[float]] = {}
    for node in model.graph.node:
        if not node.op_type.startswith("TreeEnsemble"):
            continue
        attrs = {a.name: a for a in node.attribute}
        ids = list(attrs["nodes_featureids"].ints)
        if "nodes_values" in attrs:
            values = list(attrs["nodes_values"].floats)
        else:
            values = numpy_helper.to_array(attrs["nodes_values_as_tensor"].t).tolist()
        modes = [m.decode() for m in attrs["nodes_modes"].strings]
        for f, v, m in zip(ids, values, modes, strict=True):
            if m != "LEAF":
                per_feature.setdefault(int(f), []).append(v)
    return {f: np.unique(np.asarray(v, dtype=np.float32)) for f, v in per_feature.items()}


def _rows(path: Path, seed: int) -> np.ndarray:
    """A few hundred rows: random ones, rows sitting exactly on split thresholds and one ulp on
    each side of them (where a float/double slip would show), and extreme values."""
    rng = np.random.default_rng(seed)
    random_rows = rng.normal(scale=1.5, size=(300, N_COLS)).astype(np.float32)
    th = _thresholds(path)
    on_split = rng.normal(size=(150, N_COLS)).astype(np.float32)
    for f, values in th.items():
        picks = rng.choice(values, size=150)
        side = rng.integers(-1, 2, size=150)  # -1 below, 0 on, +1 above
        on_split[:, f] = np.where(
            side == 0,
            picks,
            np.nextafter(picks, np.where(side > 0, np.inf, -np.inf).astype(np.float32)),
        )
    specials = np.array(
        [
            [0.0, -0.0, 0.0, -0.0],
            [1e30, -1e30, 3.4e38, -3.4e38],
            [1e-45, -1e-45, 1e-38, -1e-38],
            [1.0, 1.0, 1.0, 1.0],
        ],
        dtype=np.float32,
    )
    return np.vstack([random_rows, on_split, specials]).astype(np.float32)


@pytest.fixture(scope="module")
def web_and_python() -> dict[str, tuple[np.ndarray, dict, dict]]:
    """{case: (rows, onnxruntime outputs, onnxruntime-web outputs)}: one batch per fixture, and
    its first 5 rows one at a time (the edge functions often score a single game)."""
    cases: dict[str, tuple[Path, np.ndarray]] = {}
    for seed, (name, path) in enumerate(FIXTURES.items()):
        X = _rows(path, seed)
        cases[name] = (path, X)
        for i in range(5):
            cases[f"{name}/row{i}"] = (path, X[i : i + 1])
    web = run_ort_web([WebRun(path, "input", X) for path, X in cases.values()])
    return {
        case: (X, run_ort_python(path, "input", X), out)
        for (case, (path, X)), out in zip(cases.items(), web, strict=True)
    }


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_bit_identical_batches(name: str, web_and_python) -> None:
    X, expected, actual = web_and_python[name]
    assert len(X) >= 300
    assert_bit_identical(name, expected, actual, rows=X)
    deltas = max_deltas(expected, actual)
    report(f"{name}: {len(X)} rows, max deltas (abs, rel) {deltas}", tag="parity:fixtures")
    assert all(d == (0.0, 0.0) for d in deltas.values())


def test_bit_identical_single_rows(web_and_python) -> None:
    singles = {k: v for k, v in web_and_python.items() if "/row" in k}
    assert len(singles) == 10
    for key, (X, expected, actual) in singles.items():
        assert_bit_identical(key, expected, actual, rows=X)


def test_output_types_match_the_contract(web_and_python) -> None:
    _, exp_rf, web_rf = web_and_python["rf_classifier"]
    assert web_rf["label"].dtype == np.int64 and exp_rf["label"].dtype == np.int64
    assert web_rf["probabilities"].dtype == np.float32
    _, _, web_xgb = web_and_python["xgb_regressor"]
    assert web_xgb["variable"].dtype == np.float32 and web_xgb["variable"].shape[1] == 1


def test_nan_inputs_to_xgboost_are_routed_identically() -> None:
    # XGBoost routes missing values (NaN) down its default branch; both runtimes must agree.
    X = np.array(
        [[np.nan, 0.5, -0.5, 1.0], [1.0, np.nan, np.nan, np.nan], [np.nan] * 4],
        dtype=np.float32,
    )
    path = FIXTURES["xgb_regressor"]
    (web,) = run_ort_web([WebRun(path, "input", X)])
    assert_bit_identical("xgb_regressor (NaN rows)", run_ort_python(path, "input", X), web, rows=X)


def test_mismatch_message_names_model_row_and_both_values(web_and_python) -> None:
    X, expected, actual = web_and_python["rf_classifier"]
    tampered = {k: v.copy() for k, v in actual.items()}
    tampered["probabilities"][17, 2] = np.nextafter(
        tampered["probabilities"][17, 2], np.float32(2.0)
    )
    with pytest.raises(AssertionError) as info:
        assert_bit_identical("rf_classifier", expected, tampered, rows=X)
    msg = str(info.value)
    assert "model rf_classifier" in msg
    assert "output 'probabilities'" in msg
    assert "row 17, column (2,)" in msg
    want = expected["probabilities"][17, 2]
    got = tampered["probabilities"][17, 2]
    assert repr(float(want)) in msg and repr(float(got)) in msg
    assert "input row = " in msg


def test_runner_reports_a_corrupt_model_by_name() -> None:
    bad = TESTDATA / "not_a_model.onnx"
    with pytest.raises(OrtWebError, match=r"not_a_model\.onnx.*model_invalid"):
        run_ort_web([WebRun(bad, "input", np.zeros((1, N_COLS), dtype=np.float32))])
