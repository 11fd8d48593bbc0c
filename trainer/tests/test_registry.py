"""The model registry: publish stores and activates every exported model in one transaction,
refuses a model whose bytes or inputs differ from its manifest (changing nothing), refuses a
scratch-off set that does not beat the baselines on the latest 28 labelled days unless forced
(recording the evaluation either way), and rollback returns a model to its previous version.
Needs the local stack's PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from trainer.db import connect, scratch_database
from trainer.export import MODELS_DIR, export_models, load_manifest
from trainer.modeling import TrainedModel
from trainer.registry import RegistryError, list_versions, publish, rollback
from trainer.scratchoff.features import feature_frame
from trainer.scratchoff.forecast import SPECS, labelled, matrix, target_vector
from trainer.scratchoff.gate import GATE_FIGURES
from trainer.scratchoff.load import load_scratchoff

FILES = "files"  # the gate evaluates on the shipped history (these scratch databases hold none)


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
    first = publish(models, db, quiet, source=FILES)
    manifest = load_manifest(models)["models"]
    assert {p.name for p in first} == set(manifest)
    assert all(p.stored for p in first)
    rows = registry_rows(db)
    assert {(r[0], r[1], r[2]) for r in rows} == {
        (e["name"], e["version"], e["sha256"]) for e in manifest.values()
    }
    assert all(r[3] for r in rows)

    second = publish(models, db, quiet, source=FILES)
    assert not any(p.stored for p in second)
    assert registry_rows(db) == rows


def test_bytes_that_do_not_match_the_manifest_are_refused_and_nothing_changes(db, models):
    publish(models, db, quiet, source=FILES)
    before = registry_rows(db)
    entry = next(iter(load_manifest(models)["models"].values()))
    damaged = models / entry["file"]
    damaged.write_bytes(damaged.read_bytes()[:-10] + b"0123456789")
    rewrite_manifest(models, lambda m: m["models"][entry["name"]].update(version="v-damaged"))
    with pytest.raises(RegistryError, match=f"{entry['name']}: sha256"):
        publish(models, db, quiet, source=FILES)
    assert registry_rows(db) == before


def test_a_manifest_whose_inputs_differ_from_the_model_is_refused(db, models):
    name = "ev_change_14d_rf"
    rewrite_manifest(models, lambda m: m["models"][name].update(input_width=3))
    with pytest.raises(RegistryError, match=f"{name}: ONNX inputs"):
        publish(models, db, quiet, source=FILES)
    assert registry_rows(db) == []


def test_rollback_reactivates_the_previous_version(db, models):
    name = "ev_change_14d_xgb"
    publish(models, db, quiet, source=FILES)
    first = load_manifest(models)["models"][name]["version"]
    rewrite_manifest(models, lambda m: m["models"][name].update(version="v2"))
    publish(models, db, quiet, source=FILES)
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


def registry_evaluations(url: str) -> dict[str, dict | None]:
    with connect(url) as conn:
        return dict(
            conn.execute(
                "select name, manifest -> 'publish_evaluation' from public.model_registry"
                " where is_active"
            ).fetchall()
        )


def test_publish_records_the_gate_evaluation_in_the_manifest_and_the_registry(db, models):
    publish(models, db, quiet, source=FILES)
    evaluation = load_manifest(models)["publish_evaluation"]
    assert evaluation["beats_baselines"] and not evaluation["forced"]
    assert evaluation["window_days"] == 28 and evaluation["rows"] > 1000
    for view in ("walk_forward", "candidate_models"):
        assert all(evaluation[view][k] > 0 for k in GATE_FIGURES), evaluation[view]
    stored = registry_evaluations(db)
    assert stored["ev_change_14d_xgb"] == {**evaluation, "active_models": None}  # none before
    assert stored["powerball_white_xgb"] is None  # the gate judges the scratch-off set only


def shuffled_set(models: Path, out: Path) -> Path:
    """The four scratch-off models refitted with the committed hyperparameters on the shipped
    rows with their labels shuffled (seeded), exported like the real ones."""
    manifest = load_manifest(models)["models"]
    features = feature_frame(load_scratchoff())
    rng = np.random.default_rng(15)
    trained = []
    for spec in SPECS:
        entry = manifest[spec.name]
        rows = labelled(features, spec.target)
        y = rng.permutation(target_vector(rows, spec))
        trained.append(
            TrainedModel(
                name=spec.name,
                family=entry["family"],
                kind=spec.kind,
                library=spec.library,
                estimator=spec.make(**entry["hyperparameters"]).fit(matrix(rows), y),
                feature_names=entry["feature_names"],
                target=entry["target"],
                hyperparameters=entry["hyperparameters"],
                metrics={},
                training_range=tuple(entry["training_range"]),
                X_golden=matrix(rows.head(8)),
                extra={k: entry[k] for k in ("ai_score_reference", "confidence_spread_scale")},
            )
        )
    export_models(trained, out, "shuffled labels", quiet)
    return out


def test_a_set_trained_on_shuffled_labels_is_refused_unless_forced(db, models, tmp_path):
    publish(models, db, quiet, source=FILES)
    before = registry_rows(db)
    worse = shuffled_set(models, tmp_path / "shuffled")
    with pytest.raises(RegistryError, match="does not beat its baselines") as refusal:
        publish(worse, db, quiet, source=FILES)
    assert "candidate models" in str(refusal.value)
    assert registry_rows(db) == before  # nothing changed

    publish(worse, db, quiet, source=FILES, force=True)
    assert load_manifest(worse)["publish_evaluation"]["forced"]
    evaluation = registry_evaluations(db)["ev_change_14d_rf"]
    assert evaluation["forced"] and not evaluation["beats_baselines"]
    assert evaluation["better_than_active"] is False
    assert (
        evaluation["active_models"]["mean_absolute_error"]
        < (evaluation["candidate_models"]["mean_absolute_error"])
    )
    active = {v.name: v.version for v in list_versions(db) if v.is_active}
    shuffled_versions = {e["name"]: e["version"] for e in load_manifest(worse)["models"].values()}
    assert all(active[n] == v for n, v in shuffled_versions.items())
