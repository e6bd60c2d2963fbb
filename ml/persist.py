"""Save a model with its metadata; load it only when its sha256 and library versions match.

A pickle runs code when it is loaded, so the loader checks the file's sha256 against the metadata
(and optionally against a hash recorded elsewhere, e.g. `ml.model_runs.model_sha256`) and the
library versions against the running interpreter before calling pickle.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import platform
import tempfile
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
#: Libraries whose versions must match exactly for the pickle to be trusted.
PINNED_LIBRARIES: tuple[str, ...] = ("python", "scikit-learn", "numpy", "scipy")


class ModelLoadError(Exception):
    """The model file cannot be trusted or used (printed as one line)."""


def library_versions() -> dict[str, str]:
    import duckdb
    import numpy
    import pandas
    import pyarrow
    import scipy
    import sklearn

    return {
        "python": ".".join(platform.python_version_tuple()[:2]),
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "duckdb": duckdb.__version__,
    }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def metadata_path(model_path: Path) -> Path:
    return Path(model_path).with_suffix(".json")


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(obj: Any, model_path: Path, metadata: dict[str, Any]) -> dict[str, Any]:
    """Pickle `obj` to model_path and write model_path.json (metadata + sha256 + versions)."""
    model_path = Path(model_path)
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    _atomic_write(model_path, payload)
    meta = {
        "format_version": FORMAT_VERSION,
        "model_file": model_path.name,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "library_versions": library_versions(),
        **metadata,
    }
    text = json.dumps(meta, indent=2, sort_keys=False, default=str) + "\n"
    _atomic_write(metadata_path(model_path), text.encode())
    return meta


def read_metadata(model_path: Path) -> dict[str, Any]:
    meta_file = metadata_path(Path(model_path))
    if not meta_file.exists():
        raise ModelLoadError(f"refusing to load {model_path}: metadata file {meta_file} is missing")
    try:
        meta = json.loads(meta_file.read_text())
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"refusing to load {model_path}: unreadable metadata ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        raise ModelLoadError(f"refusing to load {model_path}: unknown metadata format")
    return meta


def verify_model(model_path: Path, expected_sha256: str | None = None) -> dict[str, Any]:
    """Check hash and versions without unpickling; return the metadata or raise ModelLoadError."""
    model_path = Path(model_path)
    if not model_path.exists():
        raise ModelLoadError(f"no model at {model_path}: run `python ml/train.py` first")
    meta = read_metadata(model_path)
    actual = sha256_file(model_path)
    if actual != meta.get("sha256"):
        raise ModelLoadError(
            f"refusing to load {model_path}: sha256 {actual[:12]}... does not match its metadata "
            f"({str(meta.get('sha256'))[:12]}...); the file was modified: retrain with "
            "`python ml/train.py`"
        )
    if expected_sha256 is not None and actual != expected_sha256:
        raise ModelLoadError(
            f"refusing to load {model_path}: sha256 {actual[:12]}... is not the expected "
            f"{expected_sha256[:12]}..."
        )
    saved = meta.get("library_versions", {})
    current = library_versions()
    mismatched = [
        f"{lib} {saved.get(lib)} (running {current[lib]})"
        for lib in PINNED_LIBRARIES
        if saved.get(lib) != current[lib]
    ]
    if mismatched:
        raise ModelLoadError(
            f"refusing to load {model_path}: saved with {', '.join(mismatched)}; "
            "retrain with `python ml/train.py`"
        )
    return meta


def load_model(model_path: Path, expected_sha256: str | None = None) -> tuple[Any, dict[str, Any]]:
    """Unpickle the model after verify_model succeeds; returns (model, metadata)."""
    meta = verify_model(model_path, expected_sha256)
    with open(model_path, "rb") as fh:
        payload = fh.read()
    if hashlib.sha256(payload).hexdigest() != meta["sha256"]:  # changed since verification
        raise ModelLoadError(f"refusing to load {model_path}: the file changed while loading")
    return pickle.loads(payload), meta  # noqa: S301 - hash-checked above
