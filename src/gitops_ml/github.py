"""The few GitHub REST calls the workflows make themselves, with the standard library only.

Workflows that must not install the project (the PR comment poster runs on the default branch with
``PYTHONPATH=src``) use it as well as the deploy steps, so nothing here imports beyond the stdlib.

    python -m gitops_ml.github sticky-comment --pr N --watermark-title "Model report"
        after `cml comment update`: keep exactly one comment carrying CML's watermark on PR N
    python -m gitops_ml.github explain-pr-failure LOG
        after `cml pr create` failed: name the repository setting when GitHub refused with a 403

Environment (set by GitHub Actions): ``GITHUB_TOKEN`` (or ``GH_TOKEN``), ``GITHUB_API_URL``,
``GITHUB_REPOSITORY``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass

# GitHub's answer when GITHUB_TOKEN may not open pull requests, and the setting that allows it.
PR_REFUSED_MESSAGE = "GitHub Actions is not permitted to create or approve pull requests"
PR_SETTING = "Allow GitHub Actions to create and approve pull requests"
PR_SETTING_HELP = (
    f'GitHub refused to open the pull request (403): the repository setting "{PR_SETTING}" is off '
    "(it is off by default). Turn it on in Settings -> Actions -> General -> Workflow permissions "
    "(or in the organisation's settings when it is greyed out), or give the workflow a token that "
    "may open pull requests (README: variables and secrets)."
)
# CML 0.20.6 (src/watermark.js) appends this image to every comment it posts.
WATERMARK_IMAGE = "https://cml.dev/watermark.png"
PER_PAGE = 100  # the most GitHub returns per page
MAX_PAGES = 100  # 10,000 comments: far beyond any real pull request, and no endless loop


class GitHubError(RuntimeError):
    def __init__(self, status: int, message: str, url: str = ""):
        super().__init__(f"{url}: HTTP {status} {message}".strip(": "))
        self.status, self.message = status, message


def error_message(body: dict) -> str:
    """GitHub's message, with the why of a 422 ("Validation Failed: A pull request already exists...")."""
    reasons = [
        str(item.get("message") or " ".join(str(item.get(k)) for k in ("field", "code") if item.get(k)))
        for item in body.get("errors") or []
        if isinstance(item, dict)
    ]
    return ": ".join(part for part in (body.get("message", ""), "; ".join(r for r in reasons if r)) if part)


def pull_request_refused(status: int, message: str) -> bool:
    """True when GitHub refused to open a pull request because of the Actions setting."""
    return status == 403 and (PR_REFUSED_MESSAGE.lower() in message.lower() or "pull request" in message.lower())


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header (GitHub's pagination), if any."""
    for part in (header or "").split(","):
        match = re.match(r'\s*<([^>]+)>\s*;\s*rel="next"', part)
        if match:
            return match.group(1)
    return None


@dataclass(frozen=True)
class Client:
    api: str  # e.g. https://api.github.com
    repository: str  # owner/repo
    token: str

    @classmethod
    def from_env(cls) -> Client:
        token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN") or ""
        repository = os.environ.get("GITHUB_REPOSITORY") or ""
        if not token or not repository:
            raise GitHubError(0, "GITHUB_TOKEN and GITHUB_REPOSITORY must be set")
        return cls(os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"), repository, token)

    def url(self, path: str) -> str:
        return f"{self.api}/repos/{self.repository}{path}"

    def _open(self, method: str, url: str, body: dict | None = None):
        request = urllib.request.Request(
            url,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                **({"Content-Type": "application/json"} if body is not None else {}),
            },
        )
        try:
            response = urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                text = error_message(json.loads(text)) or text
            raise GitHubError(error.code, text[:500], f"{method} {url}") from None
        with response:
            payload = response.read()
            return (json.loads(payload) if payload else None), response.headers.get("Link")

    def request(self, method: str, path: str, body: dict | None = None):
        return self._open(method, self.url(path), body)[0]

    def paginate(self, path: str) -> list:
        """Every item of a list endpoint, following ``Link: rel="next"`` page after page."""
        separator = "&" if "?" in path else "?"
        url: str | None = self.url(f"{path}{separator}per_page={PER_PAGE}")
        items: list = []
        for _ in range(MAX_PAGES):
            if url is None:
                return items
            page, link = self._open("GET", url)
            items += page
            url = next_link(link)
        raise GitHubError(0, f"more than {MAX_PAGES} pages at {path}")

    def create_pull(self, head: str, base: str, title: str, body: str) -> dict:
        try:
            return self.request("POST", "/pulls", {"title": title, "head": head, "base": base, "body": body})
        except GitHubError as error:
            if pull_request_refused(error.status, error.message):
                raise GitHubError(403, PR_SETTING_HELP) from None
            raise


def watermark_pattern(label: str) -> re.Pattern:
    """CML's watermark for ``label`` (src/watermark.js: title escaping; the commit sha is ignored)."""
    title = f"CML watermark {label}".strip()
    for char in ("_", "*", "[", "<"):
        title = title.replace(char, "\\" + char)
    return re.compile(rf'!\[\]\({re.escape(WATERMARK_IMAGE)}#[0-9a-fA-F]+ "{re.escape(title)}"\)')


def reports(comments: list[dict], label: str) -> list[dict]:
    """The comments carrying CML's watermark for ``label``, oldest first."""
    pattern = watermark_pattern(label)
    return sorted((c for c in comments if pattern.search(c.get("body") or "")), key=lambda c: c["id"])


def keep_one_report(client: Client, number: int, label: str) -> tuple[int, int]:
    """CML 0.20.6 looks for its comment on the first page (30) of a PR's comments only and posts a
    new one when its comment is further down: keep the newest report, delete every older copy.
    Returns (reports found, reports deleted)."""
    found = reports(client.paginate(f"/issues/{number}/comments"), label)
    for comment in found[:-1]:
        client.request("DELETE", f"/issues/comments/{comment['id']}")
    return len(found), max(len(found) - 1, 0)


def explain_pr_failure(log: str) -> str:
    """The message for a failed `cml pr create`, from its output."""
    if PR_REFUSED_MESSAGE.lower() in log.lower() or re.search(r"\b403\b", log):
        return PR_SETTING_HELP
    return "Opening the pull request failed: see the log above."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sticky = commands.add_parser("sticky-comment", help="keep one CML report comment on a pull request")
    sticky.add_argument("--pr", type=int, required=True)
    sticky.add_argument("--watermark-title", required=True)
    explain = commands.add_parser("explain-pr-failure", help="explain why `cml pr create` failed")
    explain.add_argument("log", help="the file holding cml's output")
    args = parser.parse_args(argv)
    if args.command == "explain-pr-failure":
        with open(args.log, encoding="utf-8", errors="replace") as handle:
            print(f"::error title=Pull request not opened::{explain_pr_failure(handle.read())}")
        return 1
    try:
        found, deleted = keep_one_report(Client.from_env(), args.pr, args.watermark_title)
    except GitHubError as error:
        print(f"::error::{error}")
        return 1
    print(f"{found} report comment(s) found on #{args.pr}; {deleted} older copy(ies) deleted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
