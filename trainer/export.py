"""`python -m trainer export`: every registered model family -> onnx_models/.

For each TrainedModel: the ONNX file (DESIGN.md's conversion rules: no ZipMap, pinned opsets,
XGBoost features f0..fn, float32 input named "input"), its manifest entry, and golden vectors
(features and the native model's outputs). The same data gives the same bytes: trees are fitted
with fixed seeds and the ONNX graph carries nothing that changes between runs.

Writing is atomic for readers: model files carry their hash in their name and manifest.json is
replaced last (os.replace), so an export cut off midway leaves the previous manifest and every file
it names in place.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import time
from dataclasses import dataclass
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from trainer.db import REPO_ROOT
from trainer.modeling import Progress, TrainedModel, print_progress

MODELS_DIR = REPO_ROOT / "onnx_models"
MANIFEST = "manifest.json"
INPUT_NAME = "input"
OPSET = 15  # onnxmltools' XGBoost converter stops at 15; onnxruntime-web 1.18 runs it
ML_OPSET = 3
# Modules with `train_models(progress) -> list[TrainedModel]` and `DATA_FILES` (what they learn
# from); adding one here exports it. Named, not imported, so the core depends on no product.
FAMILIES = ["trainer.scratchoff.forecast", "trainer.powerball.train"]
# The code a model's bytes depend on besides its family module: a change retrains on export.
FINGERPRINT_MODULES = [
    "trainer.data",
    "trainer.stats",
    "trainer.scratchoff.load",
    "trainer.scratchoff.analytics",
    "trainer.scratchoff.features",
    "trainer.scratchoff.prediction",
    "trainer.powerball.load",
    "trainer.powerball.features",
    "trainer.powerball.models",
    "trainer.powerball.walkforward",
    "trainer.export",
]
LIBRARIES = ["scikit-learn", "xgboost", "skl2onnx", "onnxmltools", "onnx", "onnxruntime", "numpy"]

OUTPUT_MEANING = {
    "regressor": {"variable": "the predicted value of the target, float32 [n, 1]"},
    "classifier": {
        "label": "the predicted class (0 or 1), int64 [n]",
        "probabilities": "P(class 0), P(class 1), float32 [n, 2]",
    },
}


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def learns_from_db(module: Any) -> bool:
    """A family that can learn from the database defines `data_digest(source, db_url)` and takes
    `source` and `db_url` in train_models; the others learn from their DATA_FILES."""
    return hasattr(module, "data_digest")


def data_fingerprint(source: str = "files", db_url: str | None = None) -> str:
    """What the models were learned from, and with which code: export reuses the committed models
    while this is unchanged. A family learning from the database contributes its rows hash (equal
    for equal rows from the files or the database), the others their files' bytes."""
    digest = hashlib.sha256()
    for family in FAMILIES:
        module = importlib.import_module(family)
        if learns_from_db(module):
            digest.update(module.data_digest(source, db_url).encode())
        else:
            for path in module.DATA_FILES:
                digest.update(Path(path).read_bytes())
    for module in FAMILIES + FINGERPRINT_MODULES:
        spec = importlib.util.find_spec(module)
        if spec and spec.origin:
            digest.update(Path(spec.origin).read_bytes())
    for library in LIBRARIES:
        digest.update(package_version(library).encode())
    return digest.hexdigest()


def to_onnx(model: TrainedModel) -> onnx.ModelProto:
    width = len(model.feature_names)
    if model.library == "xgboost":
        from onnxmltools.convert import convert_xgboost
        from onnxmltools.convert.common.data_types import FloatTensorType

        proto = convert_xgboost(
            model.estimator,
            initial_types=[(INPUT_NAME, FloatTensorType([None, width]))],
            target_opset=OPSET,
        )
    else:
        from skl2onnx import convert_sklearn
        from skl2onnx.common.data_types import FloatTensorType

        options = {id(model.estimator): {"zipmap": False}} if model.kind == "classifier" else None
        proto = convert_sklearn(
            model.estimator,
            initial_types=[(INPUT_NAME, FloatTensorType([None, width]))],
            target_opset={"": OPSET, "ai.onnx.ml": ML_OPSET},
            options=options,
        )
    proto.doc_string = f"Scratch Oracle {model.name}: {model.target}"
    proto.graph.name = model.name
    return proto


def native_outputs(model: TrainedModel, X: np.ndarray) -> dict[str, np.ndarray]:
    """The native estimator's answers under the ONNX output names."""
    X = np.asarray(X, dtype=np.float32)
    if model.kind == "classifier":
        probabilities = model.estimator.predict_proba(X).astype(np.float32)
        return {
            "label": model.estimator.predict(X).astype(np.int64),
            "probabilities": probabilities,
        }
    return {"variable": model.estimator.predict(X).astype(np.float32).reshape(-1, 1)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def manifest_entry(model: TrainedModel, proto: onnx.ModelProto, data: bytes, file: str) -> dict:
    sha = sha256_bytes(data)
    return {
        "name": model.name,
        "version": f"{model.training_range[1]}-{sha[:12]}",
        "family": model.family,
        "kind": model.kind,
        "library": model.library,
        "file": file,
        "sha256": sha,
        "size_bytes": len(data),
        "input_name": INPUT_NAME,
        "input_width": len(model.feature_names),
        "feature_names": model.feature_names,
        "outputs": [
            {"name": o.name, "meaning": OUTPUT_MEANING[model.kind][o.name]}
            for o in proto.graph.output
        ],
        "opsets": {(o.domain or "ai.onnx"): o.version for o in proto.opset_import},
        "producer": {"name": proto.producer_name, "version": proto.producer_version},
        "library_versions": {lib: package_version(lib) for lib in LIBRARIES},
        "target": model.target,
        "training_range": list(model.training_range),
        "hyperparameters": model.hyperparameters,
        "metrics": model.metrics,
        **model.extra,
    }


def golden_vectors(model: TrainedModel) -> dict:
    X = np.asarray(model.X_golden, dtype=np.float32)
    return {
        "model": model.name,
        "feature_names": model.feature_names,
        "features": X.tolist(),
        "expected": {k: v.tolist() for k, v in native_outputs(model, X).items()},
    }


def ort_session(data: bytes):
    """onnxruntime with one thread: the reference the parity suite holds onnxruntime-web to."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def ort_delta(model: TrainedModel, data: bytes) -> float:
    X = np.asarray(model.X_golden, dtype=np.float32)
    session = ort_session(data)
    names = [o.name for o in session.get_outputs()]
    got = dict(zip(names, session.run(None, {INPUT_NAME: X}), strict=True))
    want = native_outputs(model, X)
    return max(float(np.max(np.abs(np.asarray(got[k], np.float64) - want[k]))) for k in want)


def load_manifest(models_dir: Path = MODELS_DIR) -> dict:
    path = models_dir / MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `python -m trainer export` first")
    return json.loads(path.read_text())


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


@dataclass
class ExportRow:
    name: str
    size: int
    sha256: str
    metric: str
    parity_delta: float  # max |native - onnxruntime| over the golden rows
    seconds: float


def train_all(
    progress: Progress, source: str = "files", db_url: str | None = None
) -> list[TrainedModel]:
    models: list[TrainedModel] = []
    for family in FAMILIES:
        module = importlib.import_module(family)
        if learns_from_db(module):
            progress(f"training {family} from {source}")
            models += module.train_models(progress, source=source, db_url=db_url)
        else:
            progress(f"training {family} from its files")
            models += module.train_models(progress)
    return models


def export_models(
    models: list[TrainedModel], models_dir: Path, fingerprint: str, progress: Progress
) -> list[ExportRow]:
    models_dir.mkdir(parents=True, exist_ok=True)
    (models_dir / "golden").mkdir(exist_ok=True)
    entries: dict[str, dict] = {}
    rows: list[ExportRow] = []
    for model in models:
        started = time.perf_counter()
        proto = to_onnx(model)
        data = proto.SerializeToString(deterministic=True)
        sha = sha256_bytes(data)
        file = f"{model.name}.{sha[:12]}.onnx"
        _write_atomic(models_dir / file, data)
        golden = json.dumps(golden_vectors(model), sort_keys=True).encode()
        golden_file = f"golden/{model.name}.{sha[:12]}.json"
        _write_atomic(models_dir / golden_file, golden)
        entries[model.name] = {**manifest_entry(model, proto, data, file), "golden": golden_file}
        headline = next(iter(model.metrics.items()), ("", ""))
        rows.append(
            ExportRow(
                model.name,
                len(data),
                sha,
                f"{headline[0]}={headline[1]:.4g}"
                if isinstance(headline[1], float)
                else f"{headline[0]}={headline[1]}",
                ort_delta(model, data),
                time.perf_counter() - started,
            )
        )
        progress(f"  exported {file} ({len(data) / 1024:.0f} KiB)")
    manifest = {"data_fingerprint": fingerprint, "models": entries}
    _write_atomic(
        models_dir / MANIFEST,
        (json.dumps(_jsonable(manifest), indent=2, sort_keys=True) + "\n").encode(),
    )
    keep = (
        {MANIFEST} | {e["file"] for e in entries.values()} | {e["golden"] for e in entries.values()}
    )
    for stale in [*models_dir.glob("*.onnx"), *models_dir.glob("golden/*.json")]:
        if str(stale.relative_to(models_dir)) not in keep:
            stale.unlink()
    return rows


def export(
    models_dir: Path = MODELS_DIR,
    force: bool = False,
    progress: Progress = print_progress,
    *,
    source: str = "files",
    db_url: str | None = None,
) -> list[ExportRow] | None:
    """Train and export every model (the scratch-off set from `source`: the shipped files or the
    database's history); None when the committed models already match the data."""
    fingerprint = data_fingerprint(source, db_url)
    manifest = models_dir / MANIFEST
    if (
        not force
        and manifest.exists()
        and load_manifest(models_dir).get("data_fingerprint") == fingerprint
    ):
        progress("models are up to date with the data and code (use --force to retrain)")
        return None
    return export_models(train_all(progress, source, db_url), models_dir, fingerprint, progress)
