from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import clone_workspace, commit_all, make_repo, run


@pytest.fixture(scope="session")
def reproduced_repo(tmp_path_factory) -> Path:
    """A project repo on data generated from schema.yaml after one full `dvc repro`, results committed.

    Shared read-only by the tests of a worker; tests that change it take ``workspace``.
    """
    repo = make_repo(tmp_path_factory.mktemp("reproduced") / "repo")
    run(["dvc", "repro"], repo)
    commit_all(repo, "reproduce pipeline")
    return repo


@pytest.fixture
def workspace(reproduced_repo, tmp_path) -> Path:
    return clone_workspace(reproduced_repo, tmp_path / "repo")


def pytest_collection_modifyitems(config, items):
    """Everything under tests/e2e runs real workflows under act: marked `e2e`, so `make test` can
    leave them to `make test-e2e` (CI runs both)."""
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.e2e)


def pytest_collection_finish(session):
    """Fail loudly if xdist stops honouring ``xdist_group``: tests sharing a server or a built Bento
    would silently split across workers and build it twice (pytest 9.2 did that:
    pytest-xdist#1386, hence the pin in pyproject.toml)."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    grouped = [item.nodeid for item in session.items if item.get_closest_marker("xdist_group")]
    ungrouped = [nodeid for nodeid in grouped if "@" not in nodeid]
    if ungrouped:
        raise pytest.UsageError(f"--dist loadgroup ignored xdist_group for {len(ungrouped)} tests, e.g. {ungrouped[0]}")


@pytest.fixture(scope="session")
def contract_repos(tmp_path_factory):
    """Per built-in contract (tests/schemas/), a project repo on generated data after one full
    `dvc repro`, results committed; built on first use, shared read-only by a worker's tests."""
    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            repo = make_repo(tmp_path_factory.mktemp(f"contract-{name}") / "repo", contract=name)
            run(["dvc", "repro"], repo)
            commit_all(repo, "reproduce pipeline")
            built[name] = repo
        return built[name]

    return get
