"""The model loader refuses a tampered pickle, a version mismatch and missing metadata."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest

from ml.persist import ModelLoadError, load_model, metadata_path, save_model, sha256_file
from tests.ml.conftest import run_train_cli


class _Boom:
    """Unpickling this writes a marker file: proves the loader never unpickles refused files."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path(self.marker).write_text, ("unpickled",))


def _saved(tmp_path: Path) -> Path:
    model = tmp_path / "m.pkl"
    save_model({"weights": [1, 2, 3]}, model, {"features": ["a", "b"]})
    return model


def test_round_trip_and_metadata(tmp_path: Path) -> None:
    model = _saved(tmp_path)
    obj, meta = load_model(model)
    assert obj == {"weights": [1, 2, 3]}
    assert meta["sha256"] == sha256_file(model)
    assert meta["features"] == ["a", "b"]
    assert {"python", "scikit-learn", "numpy"} <= set(meta["library_versions"])


def test_tampered_pickle_is_refused_without_unpickling(tmp_path: Path) -> None:
    model = _saved(tmp_path)
    marker = tmp_path / "marker.txt"
    model.write_bytes(pickle.dumps(_Boom(str(marker))))
    with pytest.raises(ModelLoadError, match="sha256"):
        load_model(model)
    assert not marker.exists()


def test_flipped_byte_is_refused(tmp_path: Path) -> None:
    model = _saved(tmp_path)
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="does not match"):
        load_model(model)


@pytest.mark.parametrize("library", ["scikit-learn", "numpy", "python"])
def test_version_mismatch_is_refused(tmp_path: Path, library: str) -> None:
    model = _saved(tmp_path)
    meta_file = metadata_path(model)
    meta = json.loads(meta_file.read_text())
    meta["library_versions"][library] = "0.0.1"
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match=f"{library} 0.0.1"):
        load_model(model)


def test_missing_metadata_and_unexpected_hash_are_refused(tmp_path: Path) -> None:
    model = _saved(tmp_path)
    with pytest.raises(ModelLoadError, match="not the expected"):
        load_model(model, expected_sha256="0" * 64)
    metadata_path(model).unlink()
    with pytest.raises(ModelLoadError, match="metadata file"):
        load_model(model)


def test_cli_refuses_tampered_model_in_one_line(trained: dict, tmp_path: Path) -> None:
    model = tmp_path / "next_episode_model.pkl"
    shutil.copyfile(trained["model"], model)
    shutil.copyfile(metadata_path(trained["model"]), metadata_path(model))
    ok = run_train_cli("--verify-model", "--model-out", str(model))
    assert ok.returncode == 0, ok.stderr
    model.write_bytes(model.read_bytes() + b"\x00")
    bad = run_train_cli("--verify-model", "--model-out", str(model))
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "sha256" in bad.stderr
