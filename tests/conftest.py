from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import clone_workspace, commit_all, make_repo, run


@pytest.fixture(scope="session")
def reproduced_repo(tmp_path_factory) -> Path:
    """A project repo on the test sample after one full `dvc repro`, results committed.

    Shared read-only by the tests of a worker; tests that change it take ``workspace``.
    """
    repo = make_repo(tmp_path_factory.mktemp("reproduced") / "repo")
    run(["dvc", "repro"], repo)
    commit_all(repo, "reproduce pipeline")
    return repo


@pytest.fixture
def workspace(reproduced_repo, tmp_path) -> Path:
    return clone_workspace(reproduced_repo, tmp_path / "repo")
