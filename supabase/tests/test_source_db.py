"""Learning from the database (issue 15): `--source db` reads the history the ingest accumulated
and, on the shipped data, learns exactly what `--source files` learns: the same canonical rows
(game names aside: the database keeps a game's latest name), the same feature rows and targets,
the same fitted models (ONNX bytes), the same rows hash, and so the same export fingerprint: the
committed models, exported from the files, are up to date for `export --source db`, and their
manifest records the data range and the hash of the rows used."""

from __future__ import annotations

import pandas as pd
import pytest
from stack_data import ensure_loaded

from trainer.export import data_fingerprint, load_manifest, to_onnx
from trainer.modeling import TrainedModel
from trainer.scratchoff.features import FEATURE_NAMES, TARGETS, feature_frame
from trainer.scratchoff.forecast import (
    HASHED_COLUMNS,
    SPECS,
    fit_fixed,
    labelled,
    load_frame,
    training_data,
)


@pytest.fixture(scope="module")
def frames(stack) -> tuple[pd.DataFrame, pd.DataFrame]:
    ensure_loaded(stack.db_url)
    return load_frame("files"), load_frame("db", stack.db_url)


def test_the_database_holds_the_same_rows_as_the_files(frames):
    files, db = frames
    pd.testing.assert_frame_equal(
        files[HASHED_COLUMNS].reset_index(drop=True),
        db[HASHED_COLUMNS].reset_index(drop=True),
        check_exact=True,
    )
    assert training_data(files) == training_data(db)


def test_features_targets_and_fitted_models_are_the_same_from_either_source(frames):
    files, db = (feature_frame(f) for f in frames)
    columns = ["state", "game_number", "day", *FEATURE_NAMES, *TARGETS]
    pd.testing.assert_frame_equal(files[columns], db[columns], check_exact=True)
    params = load_manifest()["models"]
    for spec in (SPECS[0], SPECS[3]):  # a forest regressor and a boosted classifier
        model = {}
        for name, features in (("files", files), ("db", db)):
            rows = labelled(features, spec.target)
            estimator = fit_fixed(spec, rows, params[spec.name]["hyperparameters"])
            trained = TrainedModel(
                spec.name, "scratchoff", spec.kind, spec.library, estimator, FEATURE_NAMES,
                spec.target, {}, {}, ("", ""), rows[FEATURE_NAMES].to_numpy()[:1],
            )  # fmt: skip
            model[name] = to_onnx(trained).SerializeToString(deterministic=True)
        assert model["files"] == model["db"], spec.name


def test_export_from_the_database_is_the_committed_export(stack, frames):
    manifest = load_manifest()
    assert data_fingerprint("db", stack.db_url) == data_fingerprint("files")
    assert manifest["data_fingerprint"] == data_fingerprint("db", stack.db_url)
    recorded = manifest["models"]["ev_change_14d_rf"]["training_data"]
    assert recorded == training_data(frames[1])
    assert (recorded["first_day"], recorded["last_day"]) == ("2026-03-29", "2026-07-21")
