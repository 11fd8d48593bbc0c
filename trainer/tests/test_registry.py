"""The model registry: publish stores and activates every exported model in one transaction,
refuses a model whose bytes or inputs differ from its manifest (changing nothing), and rollback
returns a model to its previous version. Needs the local stack's PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from trainer.db import connect, scratch_database
from trainer.export import MODELS_DIR, load_manifest
from trainer.registry import RegistryError, list_versions, publish, rollback


def quiet(_message: str) -> None:
    pass


@pytest.fixture()
def db() -> str:
    with scratch_database(f"test_registry_{os.getpid()}") as url:
        yield url


@pytest.fixture()
def models(tmp_path: Path) -> Path:
    """A private copy of the committed onnx_models/ that a test may damage."""
    copy = tmp_path / "onnx_models"
    shutil.copytree(MODELS_DIR, copy)
    return copy


def registry_rows(url: str) -> list[tuple]:
    with connect(url) as conn:
        return conn.execute(
            "select name, version, sha256, is_active from public.model_registry order by id"
        ).fetchall()


def rewrite_manifest(models: Path, change) -> None:
    manifest = load_manifest(models)
    change(manifest)
    (models / "manifest.json").write_text(json.dumps(manifest))


def test_publish_stores_every_model_active_and_a_second_publish_changes_nothing(db, models):
    first = publish(models, db, quiet)
    manifest = load_manifest(models)["models"]
    assert {p.name for p in first} == set(manifest)
    assert all(p.stored for p in first)
    rows = registry_rows(db)
    assert {(r[0], r[1], r[2]) for r in rows} == {
        (e["name"], e["version"], e["sha256"]) for e in manifest.values()
    }
    assert all(r[3] for r in rows)

    second = publish(models, db, quiet)
    assert not any(p.stored for p in second)
    assert registry_rows(db) == rows


def test_bytes_that_do_not_match_the_manifest_are_refused_and_nothing_changes(db, models):
    publish(models, db, quiet)
    before = registry_rows(db)
    entry = next(iter(load_manifest(models)["models"].values()))
    damaged = models / entry["file"]
    damaged.write_bytes(damaged.read_bytes()[:-10] + b"0123456789")
    rewrite_manifest(models, lambda m: m["models"][entry["name"]].update(version="v-damaged"))
    with pytest.raises(RegistryError, match=f"{entry['name']}: sha256"):
        publish(models, db, quiet)
    assert registry_rows(db) == before


def test_a_manifest_whose_inputs_differ_from_the_model_is_refused(db, models):
    name = "ev_change_14d_rf"
    rewrite_manifest(models, lambda m: m["models"][name].update(input_width=3))
    with pytest.raises(RegistryError, match=f"{name}: ONNX inputs"):
        publish(models, db, quiet)
    assert registry_rows(db) == []


def test_rollback_reactivates_the_previous_version(db, models):
    name = "ev_change_14d_xgb"
    publish(models, db, quiet)
    first = load_manifest(models)["models"][name]["version"]
    rewrite_manifest(models, lambda m: m["models"][name].update(version="v2"))
    publish(models, db, quiet)
    active = {v.name: v.version for v in list_versions(db) if v.is_active}
    assert active[name] == "v2"

    assert rollback(name, db, quiet) == first
    active = {v.name: v.version for v in list_versions(db) if v.is_active}
    assert active[name] == first
    assert sum(1 for v in list_versions(db) if v.name == name and v.is_active) == 1

    with pytest.raises(RegistryError, match="first version"):
        rollback(name, db, quiet)
    with pytest.raises(RegistryError, match="no active version"):
        rollback("no_such_model", db, quiet)
