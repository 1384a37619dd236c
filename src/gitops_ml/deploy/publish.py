"""The deploy workflow's steps that talk to GitHub: push the image, push the GitOps change.

    python -m gitops_ml.deploy.publish image --local flight-delay:SHA --repository OWNER/REPO --tag SHA
        tags and pushes ghcr.io/owner/repo:SHA, prints ghcr.io/owner/repo@sha256:... (the digest)
    python -m gitops_ml.deploy.publish change --mode commit|pull-request --branch main
        pushes the deploy commit to the branch, or to deploy/<sha> with a pull request

Credentials come from the environment (``GITHUB_TOKEN``) and never appear in a command line:
git gets them through ``GIT_CONFIG_*`` variables, the API through a header.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from gitops_ml.deploy import DeployError, cli

REGISTRY = "ghcr.io"


def _run(args: list[str], env: dict[str, str] | None = None) -> str:
    result = subprocess.run(args, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise DeployError(f"{' '.join(args[:3])} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout.strip()


def registry_image(repository: str) -> str:
    """GHCR wants lower case; GitHub owners and repositories may have capitals."""
    return f"{REGISTRY}/{repository.lower()}"


def push_image(local: str, repository: str, tag: str) -> str:
    remote = f"{registry_image(repository)}:{tag}"
    _run(["docker", "tag", local, remote])
    _run(["docker", "push", remote])
    digests = json.loads(_run(["docker", "image", "inspect", "--format", "{{json .RepoDigests}}", remote]))
    mine = [digest for digest in digests if digest.startswith(registry_image(repository) + "@")]
    if not mine:
        raise DeployError(f"pushed {remote} but docker reports no digest for it ({digests})")
    return mine[0]


def _git_env(token: str, server_url: str) -> dict[str, str]:
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        **os.environ,
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.{server_url}/.extraheader",
        "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
    }


def _api(method: str, url: str, token: str, body: dict) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raise DeployError(f"{method} {url}: {error.code} {error.read().decode(errors='replace')[:500]}") from None


def push_change(mode: str, branch: str) -> str:
    """Push HEAD (the deploy commit) to ``branch``, or open a pull request against it."""
    token = os.environ.get("GITHUB_TOKEN") or ""
    repository = os.environ.get("GITHUB_REPOSITORY") or ""
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    if not token or not repository:
        raise DeployError("GITHUB_TOKEN and GITHUB_REPOSITORY must be set")
    remote = f"{server}/{repository}.git"
    env = _git_env(token, f"{urlsplit(server).scheme}://{urlsplit(server).netloc}")
    if mode == "commit":
        _run(["git", "push", remote, f"HEAD:refs/heads/{branch}"], env)
        return f"pushed the deploy commit to {branch}"
    head = f"deploy/{_run(['git', 'rev-parse', '--short=12', 'HEAD'])}"
    _run(["git", "push", "--force", remote, f"HEAD:refs/heads/{head}"], env)
    subject, _, body = _run(["git", "log", "-1", "--format=%B"]).partition("\n")
    pull = _api(
        "POST",
        f"{api}/repos/{repository}/pulls",
        token,
        {"title": subject, "head": head, "base": branch, "body": body.strip() + "\n\nMerge to deploy."},
    )
    return f"opened {pull.get('html_url', head)}"


@cli
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    image = commands.add_parser("image", help="push the tested image to GHCR; print its digest reference")
    image.add_argument("--local", required=True, help="the local image, e.g. flight-delay:SHA")
    image.add_argument("--repository", required=True, help="OWNER/REPO ($GITHUB_REPOSITORY)")
    image.add_argument("--tag", required=True, help="registry tag, e.g. the commit SHA")
    change = commands.add_parser("change", help="push the deploy commit, directly or as a pull request")
    change.add_argument("--mode", choices=["commit", "pull-request"], default="commit")
    change.add_argument("--branch", required=True, help="the branch the cluster syncs")
    args = parser.parse_args(argv)
    if args.command == "image":
        print(push_image(args.local, args.repository, args.tag))
    else:
        print(push_change(args.mode, args.branch))
    return 0


if __name__ == "__main__":
    sys.exit(main())
