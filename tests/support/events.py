"""GitHub event payloads (the fields the workflows read, in GitHub's shape) for act's ``-e``."""

from __future__ import annotations

from pathlib import Path

from tests.support.git import git_sha


def pull_request_event(
    number: int,
    *,
    head_sha: str,
    head_ref: str,
    base_sha: str,
    base_ref: str = "main",
    head_repo: str = "contributor/repo",
    base_repo: str = "owner/repo",
    action: str = "synchronize",
) -> dict:
    """A ``pull_request`` payload (GitHub's shape, the fields workflows read); a fork by default."""
    return {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "head": {
                "sha": head_sha,
                "ref": head_ref,
                "repo": {"full_name": head_repo, "fork": head_repo != base_repo},
            },
            "base": {"sha": base_sha, "ref": base_ref, "repo": {"full_name": base_repo}},
        },
        "repository": {"full_name": base_repo, "default_branch": base_ref},
    }


def workflow_run_event(
    run_id: int,
    *,
    workflow: str,
    conclusion: str,
    head_sha: str,
    head_branch: str,
    head_repo: str = "contributor/repo",
    base_repo: str = "owner/repo",
) -> dict:
    """A ``workflow_run`` ``completed`` payload for a run triggered by a pull request (a fork by default:
    GitHub then leaves ``pull_requests`` empty)."""
    return {
        "action": "completed",
        "workflow_run": {
            "id": run_id,
            "name": workflow,
            "html_url": f"https://github.com/{base_repo}/actions/runs/{run_id}",
            "event": "pull_request",
            "status": "completed",
            "conclusion": conclusion,
            "head_sha": head_sha,
            "head_branch": head_branch,
            "head_repository": {"full_name": head_repo},
            "repository": {"full_name": base_repo},
            "pull_requests": [],
        },
        "repository": {"full_name": base_repo},
    }


def push_event(repo: Path, branch: str = "main") -> dict:
    """A ``push`` to ``branch`` whose head is ``repo``'s HEAD."""
    sha = git_sha(repo)
    return {
        "ref": f"refs/heads/{branch}",
        "after": sha,
        "head_commit": {"id": sha},
        "repository": {"full_name": "owner/repo", "default_branch": "main"},
    }


def dispatch_event(inputs: dict, ref: str = "refs/heads/main") -> dict:
    """A ``workflow_dispatch`` with ``inputs`` on the default branch."""
    return {"inputs": inputs, "ref": ref, "repository": {"full_name": "owner/repo", "default_branch": "main"}}
