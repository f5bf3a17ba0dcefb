"""pyproject.toml: the project metadata that the build backend reads at every install."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from 3.11")

ROOT = Path(__file__).resolve().parents[1]


def test_license_is_an_spdx_expression() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    licenses = pytest.importorskip("packaging.licenses", reason="packaging >= 24.2")
    assert isinstance(project["license"], str)  # the table form is deprecated (PEP 639)
    assert licenses.canonicalize_license_expression(project["license"]) == "MIT"
    # PEP 639: a license expression excludes the old "License ::" classifiers
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]


def test_the_build_backend_reads_the_metadata_without_a_warning() -> None:
    """Warnings are errors in this suite: the deprecated ``license = {text = ...}`` table
    made the build warn at every install. meson-python reads the metadata through
    pyproject-metadata; with the SPDX string it reads it quietly, as a license expression."""
    metadata = pytest.importorskip("pyproject_metadata",
                                   reason="pyproject-metadata comes with meson-python")
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["build-system"]["build-backend"] == "mesonpy"
    meta = metadata.StandardMetadata.from_pyproject(data, allow_extra_keys=True)
    assert meta.license == "MIT"  # an expression, not a License object (the old table)
    assert meta.name == "nnmath"
    assert "version" in meta.dynamic
