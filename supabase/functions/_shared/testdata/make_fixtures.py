"""Build the tiny ONNX fixtures used by the Deno tests of _shared/ort.ts and by
parity_tests/test_ort_web_fixtures.py.

The fixtures are committed, so the Deno tests never need Python. Re-run only when the fixtures
must change:

    python supabase/functions/_shared/testdata/make_fixtures.py

Output (next to this script):
- rf_classifier.onnx: scikit-learn RandomForestClassifier, 4 features, 3 classes, no ZipMap,
  target opsets {"": 15, "ai.onnx.ml": 3}; input "input", outputs "label" (int64) and
  "probabilities" (float32).
- xgb_regressor.onnx: XGBoost XGBRegressor, 4 features (f0..f3), opset 15 via onnxmltools; input
  "input", output "variable" (float32).
- not_a_model.onnx: bytes that are not an ONNX model (the corrupt-model test).

The conversion follows DESIGN.md's rules (no ZipMap, pinned opsets, XGBoost feature names f0..fn,
no scaler in front of trees). Training is seeded, so the same library versions give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnxmltools import convert_xgboost
from onnxmltools.convert.common.data_types import FloatTensorType as XgbFloatTensorType
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.ensemble import RandomForestClassifier
from xgboost import XGBRegressor

HERE = Path(__file__).resolve().parent
N_FEATURES = 4


def _data(seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(300, N_FEATURES)).astype(np.float32)
    y_cls = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1.0).astype(np.int64)
    y_reg = (2.0 * x[:, 0] - x[:, 1] * x[:, 3] + 0.1 * rng.normal(size=300)).astype(np.float32)
    return x, y_cls, y_reg


def _deterministic(model: onnx.ModelProto, name: str) -> onnx.ModelProto:
    # onnxmltools names the graph with a random uuid: pin it so that the bytes are reproducible.
    model.doc_string = ""
    model.graph.name = name
    return model


def build_rf(x: np.ndarray, y: np.ndarray) -> onnx.ModelProto:
    clf = RandomForestClassifier(n_estimators=8, max_depth=5, random_state=0, n_jobs=1)
    clf.fit(x, y)
    onx = to_onnx(
        clf,
        initial_types=[("input", FloatTensorType([None, N_FEATURES]))],
        options={id(clf): {"zipmap": False}},
        target_opset={"": 15, "ai.onnx.ml": 3},
    )
    return _deterministic(onx, "rf_classifier")


def build_xgb(x: np.ndarray, y: np.ndarray) -> onnx.ModelProto:
    reg = XGBRegressor(
        n_estimators=12,
        max_depth=3,
        learning_rate=0.3,
        random_state=0,
        n_jobs=1,
        tree_method="exact",
    )
    # Plain ndarray: XGBoost names the features f0..fn, which onnxmltools requires.
    reg.fit(x, y)
    onx = convert_xgboost(
        reg,
        initial_types=[("input", XgbFloatTensorType([None, N_FEATURES]))],
        target_opset=15,
    )
    return _deterministic(onx, "xgb_regressor")


def main() -> None:
    x, y_cls, y_reg = _data()
    rf = build_rf(x, y_cls)
    xgb = build_xgb(x, y_reg)
    for name, model in (("rf_classifier.onnx", rf), ("xgb_regressor.onnx", xgb)):
        onnx.checker.check_model(model)
        path = HERE / name
        path.write_bytes(model.SerializeToString())
        outs = [o.name for o in model.graph.output]
        print(f"{path.name}: {path.stat().st_size} bytes, outputs {outs}")
    (HERE / "not_a_model.onnx").write_bytes(b"this is not an ONNX model\x00\xff\x13\x37" * 4)
    print("not_a_model.onnx written")


if __name__ == "__main__":
    main()
