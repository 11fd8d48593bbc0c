"""Helpers for the parity between onnxruntime (Python) and the functions' two engines in Deno:
onnxruntime-web and the runtime's built-in engine (locally the shim's onnxruntime-node).

DESIGN.md's bar: onnxruntime in Python with one thread and each engine in Deno, under the hosted
runtime's shim, give bit-identical outputs.

- ``run_ort_web(runs, engine="web")``: runs many (model, input, rows) requests in ONE Deno
  subprocess (parity_tests/ort_web_runner.ts, through the edge functions' own wrapper
  _shared/ort.ts) on one engine ("web" or "builtin") and returns, per run,
  ``{output_name: numpy array}`` with the exact dtype and shape.
- ``run_ort_python(path, input_name, X)``: the same with onnxruntime in Python, one thread.
- ``assert_bit_identical(model, expected, actual)``: compares every output bit for bit; the failure
  names the model, the output, the row and both values.
- ``max_deltas(expected, actual)``: the largest absolute and relative deltas, for the report.

Inputs travel as the raw bytes of little-endian float32 (base64), so NaN, infinities and every
float32 value arrive exactly; outputs come back the same way.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DENO_CONFIG = REPO / "supabase" / "functions" / "deno.json"
SHIM = REPO / "scripts" / "local" / "edge_runtime_shim.ts"
RUNNER = REPO / "parity_tests" / "ort_web_runner.ts"

# onnxruntime-web type names -> numpy dtypes (little-endian).
_DTYPES: dict[str, np.dtype] = {
    "float32": np.dtype("<f4"),
    "float64": np.dtype("<f8"),
    "int64": np.dtype("<i8"),
    "uint64": np.dtype("<u8"),
    "int32": np.dtype("<i4"),
    "uint32": np.dtype("<u4"),
    "int16": np.dtype("<i2"),
    "uint16": np.dtype("<u2"),
    "int8": np.dtype("i1"),
    "uint8": np.dtype("u1"),
    "bool": np.dtype("?"),
}


class OrtWebError(RuntimeError):
    """The Deno runner failed, or a run reported an error."""


@dataclass(frozen=True)
class WebRun:
    """One request to onnxruntime-web: a model file, its input name and a 2-D float32 batch."""

    model: str | os.PathLike[str]
    input_name: str
    X: np.ndarray


def deno_executable() -> str:
    """The deno binary: $DENO, else `deno` on PATH, else the one the `deno` PyPI package ships."""
    env = os.environ.get("DENO")
    if env:
        return env
    found = shutil.which("deno")
    if found:
        return found
    try:
        import deno  # type: ignore[import-not-found]

        return str(deno.find_deno_bin())
    except Exception as e:  # pragma: no cover - depends on the machine
        raise OrtWebError("deno not found: install the `deno` package (pip) or set $DENO") from e


def deno_command(script: Path, *permissions: str) -> list[str]:
    """`deno run` of a parity runner under the hosted runtime's shim, with only `permissions`."""
    return [
        deno_executable(),
        "run",
        "--quiet",
        "--no-prompt",
        "--config",
        str(DENO_CONFIG),
        "--preload",
        str(SHIM),
        *permissions,
        str(script),
    ]


def run_deno_json(script: Path, payload: str, *permissions: str, timeout: float = 300.0) -> Any:
    """Runs a parity runner with `payload` on stdin and returns the JSON it writes; OrtWebError
    (with its stderr) when it fails."""
    proc = subprocess.run(
        deno_command(script, *permissions),
        input=payload,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        check=False,
    )
    if proc.returncode != 0:
        raise OrtWebError(
            f"{script.name} exited {proc.returncode}\nstdout: {proc.stdout[-2000:]}\n"
            f"stderr: {proc.stderr[-4000:]}"
        )
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise OrtWebError(f"{script.name} wrote no JSON: {proc.stdout[:500]!r}") from e


def _as_float32_2d(X: Any) -> np.ndarray:
    a = np.asarray(X)
    if a.ndim != 2:
        raise ValueError(f"rows must be 2-D, got shape {a.shape}")
    if a.dtype != np.float32:
        a = a.astype(np.float32)
    return np.ascontiguousarray(a, dtype="<f4")


def _decode(name: str, enc: Mapping[str, Any]) -> np.ndarray:
    typ = enc["type"]
    dims = tuple(int(d) for d in enc["dims"])
    if typ not in _DTYPES:
        # strings and other non-numeric outputs: keep the values as they came
        return np.asarray(enc["values"], dtype=object).reshape(dims)
    raw = base64.b64decode(enc["b64"])
    arr = np.frombuffer(raw, dtype=_DTYPES[typ]).reshape(dims)
    return arr.astype(_DTYPES[typ].newbyteorder("="), copy=True)


def run_ort_web(
    runs: Sequence[WebRun | tuple[Any, str, Any]], timeout: float = 300.0, engine: str = "web"
) -> list[dict[str, np.ndarray]]:
    """Run every request in one Deno process on `engine`; return per run {output name: array}.

    A run whose model fails (missing file, corrupt model, wrong input) raises OrtWebError naming
    the model; so does a runner that cannot start.
    """
    reqs: list[dict[str, Any]] = []
    for r in runs:
        run = r if isinstance(r, WebRun) else WebRun(*r)
        x = _as_float32_2d(run.X)
        reqs.append(
            {
                "model": str(Path(run.model).resolve()),
                "input_name": run.input_name,
                "rows_f32_b64": base64.b64encode(x.tobytes()).decode("ascii"),
                "n_rows": int(x.shape[0]),
                "n_cols": int(x.shape[1]),
            }
        )
    body = run_deno_json(
        RUNNER,
        json.dumps({"engine": engine, "runs": reqs}),
        "--allow-read",
        "--allow-env",
        "--allow-sys",
        "--allow-ffi",
        timeout=timeout,
    )
    if (
        body.get("ort_web_version") != "1.18.0"
        or body.get("shim_active") is not True
        or body.get("engine") != engine
    ):
        raise OrtWebError(
            f"expected engine {engine} (onnxruntime-web 1.18.0) under the edge runtime shim, got "
            f"{body.get('engine')!r} (version {body.get('ort_web_version')!r}), shim "
            f"{body.get('shim_active')!r}"
        )
    results = body["results"]
    if len(results) != len(reqs):
        raise OrtWebError(f"{len(reqs)} runs sent, {len(results)} results back")
    out: list[dict[str, np.ndarray]] = []
    for req, res in zip(reqs, results, strict=True):
        if "error" in res:
            err = res["error"]
            raise OrtWebError(
                f"engine {engine} failed on model {req['model']}: {err['code']}: "
                f"{err['message']} {err.get('detail', '')}".rstrip()
            )
        out.append({name: _decode(name, enc) for name, enc in res["outputs"].items()})
    return out


@lru_cache(maxsize=64)
def _python_session(path: str, mtime_ns: int) -> Any:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])


def run_ort_python(path: str | os.PathLike[str], input_name: str, X: Any) -> dict[str, np.ndarray]:
    """onnxruntime (Python), one thread, CPU: {output name: array} for the float32 batch X."""
    p = Path(path).resolve()
    sess = _python_session(str(p), p.stat().st_mtime_ns)
    names = [o.name for o in sess.get_outputs()]
    values = sess.run(names, {input_name: _as_float32_2d(X)})
    return {n: np.asarray(v) for n, v in zip(names, values, strict=True)}


def _fmt(v: Any) -> str:
    if isinstance(v, np.floating):
        bits = v.view(np.uint32 if v.dtype == np.float32 else np.uint64)
        width = 8 if v.dtype == np.float32 else 16
        return f"{float(v)!r} (bits 0x{int(bits):0{width}x})"
    return repr(v.item() if isinstance(v, np.generic) else v)


def assert_bit_identical(
    model: str,
    expected: Mapping[str, np.ndarray],
    actual: Mapping[str, np.ndarray],
    rows: np.ndarray | None = None,
    expected_label: str = "onnxruntime (Python)",
    actual_label: str = "onnxruntime-web (Deno)",
    max_listed: int = 5,
) -> None:
    """Every output equal bit for bit (dtype, shape and bits; NaN payloads and -0.0 included).

    The AssertionError names the model, the output, the first mismatching rows (with the input row
    when `rows` is given) and both values.
    """
    problems: list[str] = []
    if set(expected) != set(actual):
        problems.append(f"output names differ: {sorted(expected)} vs {sorted(actual)}")
    for name in [n for n in expected if n in actual]:
        e, a = np.asarray(expected[name]), np.asarray(actual[name])
        if e.dtype != a.dtype or e.shape != a.shape:
            problems.append(
                f"output {name!r}: {expected_label} gives {e.dtype}{list(e.shape)}, "
                f"{actual_label} gives {a.dtype}{list(a.shape)}"
            )
            continue
        if e.dtype.kind in "fiub":
            eb = e.view(f"u{e.dtype.itemsize}") if e.dtype.kind == "f" else e
            ab = a.view(f"u{a.dtype.itemsize}") if a.dtype.kind == "f" else a
            diff = eb != ab
        else:
            diff = e != a
        if not diff.any():
            continue
        bad = np.argwhere(diff)
        n_bad_rows = len({int(i[0]) for i in bad}) if e.ndim else 1
        lines = [
            f"output {name!r}: {len(bad)} value(s) differ in {n_bad_rows} of "
            f"{e.shape[0] if e.ndim else 1} row(s)"
        ]
        for idx in bad[:max_listed]:
            ix = tuple(int(i) for i in idx)
            where = f"row {ix[0]}" + (f", column {ix[1:]}" if len(ix) > 1 else "")
            line = f"  {where}: {expected_label} = {_fmt(e[ix])}, {actual_label} = {_fmt(a[ix])}"
            if rows is not None and e.ndim:
                line += f"; input row = {np.asarray(rows)[ix[0]].tolist()}"
            lines.append(line)
        problems.append("\n".join(lines))
    if problems:
        raise AssertionError(f"model {model}: not bit-identical\n" + "\n".join(problems))


def max_deltas(
    expected: Mapping[str, np.ndarray], actual: Mapping[str, np.ndarray]
) -> dict[str, tuple[float, float]]:
    """Per float output: (max absolute delta, max relative delta), for the suite's report."""
    out: dict[str, tuple[float, float]] = {}
    for name, e in expected.items():
        if name not in actual or np.asarray(e).dtype.kind != "f":
            continue
        e64 = np.asarray(e, dtype=np.float64)
        a64 = np.asarray(actual[name], dtype=np.float64)
        if e64.shape != a64.shape or e64.size == 0:
            continue
        d = np.abs(e64 - a64)
        d = np.where(np.isnan(e64) & np.isnan(a64), 0.0, d)
        rel = d / np.maximum(1.0, np.abs(e64))
        out[name] = (float(np.nanmax(d)), float(np.nanmax(rel)))
    return out
