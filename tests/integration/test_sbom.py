"""`make sbom`, the SBOM the deploy workflow attests with the image: CycloneDX JSON listing the
serving image's Python packages at the versions uv.lock pins (run on a copy of the project)."""

from __future__ import annotations

import json
import tomllib

from tests.support.project import ROOT, VENV_BIN, make_repo, run


def locked_version(name: str) -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return next(package["version"] for package in lock["package"] if package["name"] == name)


def test_make_sbom_lists_the_serving_packages_pinned_by_uv_lock(tmp_path):
    repo = make_repo(tmp_path / "repo")
    # The venv is this test run's (on PATH); the target's own recipe is what runs.
    run(["make", "--no-print-directory", "sbom", "ENV_STAMP=", "RUN=", f"UV={VENV_BIN / 'uv'}"], repo)
    sbom = json.loads((repo / "build/sbom.cdx.json").read_text())
    assert sbom["bomFormat"] == "CycloneDX" and sbom["specVersion"] == "1.6"
    versions = {component["name"]: component.get("version") for component in sbom["components"]}
    for name in ("bentoml", "scikit-learn", "pandas"):
        assert versions[name] == locked_version(name), name
    assert "dvc" not in versions and "evidently" not in versions  # training/monitoring stay out of the image
    assert all(component["purl"].startswith("pkg:pypi/") for component in sbom["components"])
