"""The model_registry table: publish the exported models, roll back, list versions.

`publish` checks every model before it writes anything (its bytes hash to the manifest's sha256;
its ONNX input and outputs are the manifest's), evaluates a new scratch-off set against the
baselines and the active set (the product's gate, trainer/scratchoff/gate.py, named in GATES;
refused unless it beats the baselines or `force`; the evaluation is recorded in manifest.json and in
each stored manifest), then stores them and makes them the active versions in one transaction. The
table's own constraints back this up (sha256 of the bytes, one active version per name).
"""

from __future__ import annotations

import importlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import onnx
import psycopg

from trainer.db import connect
from trainer.export import MANIFEST, MODELS_DIR, _jsonable, load_manifest, sha256_bytes
from trainer.modeling import Progress, print_progress


class RegistryError(ValueError):
    """A model refused by publish or rollback; nothing was changed."""


def check_model(entry: dict, data: bytes) -> None:
    """The bytes are the manifest's model, or RegistryError saying what differs."""
    name = entry["name"]
    if sha256_bytes(data) != entry["sha256"]:
        raise RegistryError(
            f"{name}: sha256 of {entry['file']} is {sha256_bytes(data)[:12]}..., the manifest"
            f" says {entry['sha256'][:12]}...: re-run `python -m trainer export`"
        )
    try:
        graph = onnx.load_model_from_string(data).graph
    except Exception as exc:  # onnx raises DecodeError or its own errors
        raise RegistryError(
            f"{name}: {entry['file']} is not a readable ONNX model ({exc})"
        ) from None
    inputs = [
        (i.name, [d.dim_value or None for d in i.type.tensor_type.shape.dim]) for i in graph.input
    ]
    if inputs != [(entry["input_name"], [None, entry["input_width"]])]:
        raise RegistryError(
            f"{name}: ONNX inputs {inputs} do not match the manifest"
            f" ({entry['input_name']!r}, width {entry['input_width']})"
        )
    outputs = [o.name for o in graph.output]
    if outputs != [o["name"] for o in entry["outputs"]]:
        raise RegistryError(f"{name}: ONNX outputs {outputs} do not match the manifest")


@dataclass
class Published:
    name: str
    version: str
    stored: bool  # False when this version was already in the registry


# The product modules with a publish gate, named (the core imports no product), each with
# `evaluate_candidate(manifest, checked, conn, source, db_url, progress) -> dict | None`.
GATES = ["trainer.scratchoff.gate"]


ACTIVE_KEYS = ("active_models", "better_than_active")


def record_evaluation(models_dir: Path, evaluation: dict) -> None:
    """The candidate's evaluation in manifest.json (rewritten only when it differs); the
    comparison with the active set depends on the database, so only the registry keeps it."""
    evaluation = {k: v for k, v in evaluation.items() if k not in ACTIVE_KEYS}
    manifest = load_manifest(models_dir)
    if manifest.get("publish_evaluation") == evaluation:
        return
    manifest["publish_evaluation"] = evaluation
    path = models_dir / MANIFEST
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(_jsonable(manifest), indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def publish(
    models_dir: Path = MODELS_DIR,
    db_url: str | None = None,
    progress: Progress = print_progress,
    *,
    force: bool = False,
    source: str = "db",
) -> list[Published]:
    """Check, evaluate (the gate) and store the exported models, active, in one transaction.
    Refuses a scratch-off set that does not beat the baselines unless `force`."""
    manifest = load_manifest(models_dir)
    checked = []
    for entry in manifest["models"].values():
        data = (models_dir / entry["file"]).read_bytes()
        check_model(entry, data)
        checked.append((entry, data))
    results = []
    with connect(db_url) as conn:
        evaluation = None
        for gate in GATES:  # None: nothing for that gate to decide
            evaluation = evaluation or importlib.import_module(gate).evaluate_candidate(
                manifest, checked, conn, source, db_url, progress
            )
        if evaluation is not None:
            evaluation = _jsonable({**evaluation, "forced": bool(force)})
            if not evaluation["beats_baselines"] and not force:
                missed = "; ".join(evaluation["not_beaten"])
                raise RegistryError(
                    "refused: the scratch-off set does not beat its baselines on the latest "
                    f"{evaluation['window_days']} labelled days ({missed}); nothing was changed"
                    " (use --force to publish anyway)"
                )
            record_evaluation(models_dir, evaluation)
        with conn.transaction():
            for entry, data in checked:
                # The golden vectors travel with the model: the functions check every engine on
                # them.
                golden = json.loads((models_dir / entry["golden"]).read_text())
                stored = {**entry, "golden_vectors": golden}
                if evaluation is not None and entry.get("family") == "scratchoff":
                    stored["publish_evaluation"] = evaluation
                inserted = conn.execute(
                    "insert into public.model_registry (name, version, sha256, onnx, manifest)"
                    " values (%s, %s, %s, %s, %s) on conflict (name, version) do nothing"
                    " returning id",
                    (entry["name"], entry["version"], entry["sha256"], data, json.dumps(stored)),
                ).fetchone()
                _activate(conn, entry["name"], entry["version"])
                results.append(Published(entry["name"], entry["version"], inserted is not None))
                progress(
                    f"  {entry['name']} {entry['version']}: "
                    f"{'stored' if inserted else 'known'}, active"
                )
    return results


def _activate(conn: psycopg.Connection, name: str, version: str) -> None:
    conn.execute(
        "update public.model_registry set is_active = false where name = %s and is_active"
        " and version <> %s",
        (name, version),
    )
    conn.execute(
        "update public.model_registry set is_active = true where name = %s and version = %s",
        (name, version),
    )


def rollback(name: str, db_url: str | None = None, progress: Progress = print_progress) -> str:
    """Reactivates the version stored before the active one; returns it."""
    with connect(db_url) as conn, conn.transaction():
        active = conn.execute(
            "select id, version from public.model_registry where name = %s and is_active", (name,)
        ).fetchone()
        if active is None:
            raise RegistryError(f"{name}: no active version to roll back from")
        previous = conn.execute(
            "select version from public.model_registry where name = %s and id < %s"
            " order by id desc limit 1",
            (name, active[0]),
        ).fetchone()
        if previous is None:
            raise RegistryError(
                f"{name}: {active[1]} is the first version; nothing to roll back to"
            )
        _activate(conn, name, previous[0])
    progress(f"  {name}: {active[1]} -> {previous[0]}")
    return previous[0]


@dataclass
class Version:
    name: str
    version: str
    sha256: str
    size: int
    created_at: str
    is_active: bool


def list_versions(db_url: str | None = None) -> list[Version]:
    with connect(db_url) as conn:
        rows = conn.execute(
            "select name, version, sha256, length(onnx), created_at, is_active"
            " from public.model_registry order by name, id"
        ).fetchall()
    return [Version(r[0], r[1], r[2], r[3], r[4].isoformat(timespec="seconds"), r[5]) for r in rows]
