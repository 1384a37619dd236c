"""A fake GitHub for offline workflow tests: REST API, git over HTTPS and an npm registry, on loopback TLS.

GitHub itself cannot be reached from the machines that run this project's tests, so workflows run
by act (and our own Python clients) talk to this stand-in instead. It keeps issues, pull requests,
comments, labels and workflow dispatches in memory, logs every request, and serves:

- the REST API under ``/api/v3`` (where GitHub Enterprise serves it, and where CML 0.20.6 and act's
  ``GITHUB_API_URL`` point for any host other than github.com), dispatched through ``ROUTES``
  (method and path pattern -> handler and the fine-grained permission it needs). Lists are paged
  like GitHub's: 30 per page by default, ``per_page`` up to 100, and a ``Link`` header with
  ``next``/``last``/``first``/``prev`` that keeps the query's filters;
- git's smart HTTP protocol for bare repositories under ``<root>/<owner>/<repo>.git`` through the
  real ``git http-backend``, so ``git fetch``/``git push`` to ``https://127.0.0.1:PORT/o/r.git`` work
  and a push that is not a fast-forward is rejected;
- a minimal npm registry under ``/npm/`` for packages the test publishes (the CML stand-in, which
  the workflows install with their own ``npm ci`` from a lockfile resolved against it).

Tokens are checked as GitHub checks them. The fake only knows the tokens it issued
(``issue_token``: installation tokens ``ghs_...`` as GITHUB_TOKEN is, fine-grained personal access
tokens ``github_pat_...``), each with its fine-grained permissions (``contents``, ``issues``,
``pull-requests``, ``actions``...; ``metadata: read`` always). Any other Authorization is answered
401 "Bad credentials", even on a read; a write without one is 401 "Requires authentication" (reads
of this public repository stay anonymous); a token without the permission a route needs is 403
"Resource not accessible by integration" (or "... by personal access token"). Git accepts the
token the ways real clients send it (``Authorization: basic base64(x-access-token:TOKEN)`` as
actions/checkout's extraheader, ``Bearer``/``token``, or credentials in the URL, which git sends
after the 401 challenge); a push needs ``contents: write`` (401 with ``WWW-Authenticate`` without
a token, 403 with one that may not write), a clone or fetch of the public repository needs none.
``POST /pulls`` with an installation token answers 403 while ``actions_can_create_pull_requests``
(the repository setting "Allow GitHub Actions to create and approve pull requests") is off; it is
on here unless a test turns it off. Invalid pull requests (no such head, head equal to base, a
second open one) get GitHub's 422s.

What it does not enforce: the ``workflows`` permission for pushes that change
``.github/workflows``, branch protection, rate limits, token expiry, and the permissions of routes
it does not serve (those answer 404).

The certificate is made per server by a throwaway CA (``ca_cert``); ``client_env()`` makes node
(``NODE_EXTRA_CA_CERTS``), npm, Python, pip, git and curl trust it in addition to the machine's own
authorities, so a workflow step can still install from the package index. ``git_env(token)`` adds
the token to git's requests (default: ``admin_token``, for a test's own setup pushes).

    with FakeGitHub(tmp_path) as github:
        github.add_pull(1, head_sha=sha, head_ref="tune")
        token = github.issue_token({"pull-requests": "write"})
        ...  # run clients against github.base_url / github.api_url with token
        assert len(github.comments(1)) == 1
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import re
import secrets
import ssl
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PAGE_SIZE = 30  # GitHub's default per_page
# GITHUB_TOKEN and GitHub App tokens are installation tokens (ghs_...); fine-grained personal access
# tokens start github_pat_ (docs.github.com: "About authentication to GitHub", token prefixes).
TOKEN_PREFIXES = {"installation": "ghs_", "pat": "github_pat_"}
# The fine-grained repository permissions a token of this fake can hold (GitHub's names).
PERMISSIONS = ("actions", "attestations", "checks", "contents", "deployments", "discussions", "id-token",
               "issues", "metadata", "models", "packages", "pages", "pull-requests", "repository-projects",
               "security-events", "statuses")  # fmt: skip
LEVELS = {"none": 0, "read": 1, "write": 2}
# GitHub's 403 when a token lacks a permission, by the kind of token.
NOT_ACCESSIBLE = {
    "installation": "Resource not accessible by integration",
    "pat": "Resource not accessible by personal access token",
}
DOCS = "https://docs.github.com/rest"


@dataclass(frozen=True)
class Token:
    kind: str  # "installation" (ghs_, GITHUB_TOKEN) or "pat" (github_pat_)
    permissions: Mapping[str, str]  # permission -> "read" | "write"; metadata: read always

    def allows(self, permission: str, level: str) -> bool:
        granted = "read" if permission == "metadata" else self.permissions.get(permission, "none")
        return LEVELS[granted] >= LEVELS[level]


def token_in(authorization: str) -> str:
    """The token an Authorization header carries: ``token T``, ``Bearer T`` or HTTP Basic with the
    token as the password (git's form: ``x-access-token:T``) or as the user name."""
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() in ("token", "bearer"):
        return value.strip()
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return authorization
        return password or user
    return authorization  # no known scheme: never an issued token


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    body: Any  # parsed JSON, raw bytes for git/npm, or None
    authorized: bool  # carried an Authorization header (its value is never kept)
    status: int = 0


@dataclass
class State:
    issues: dict[int, dict] = field(default_factory=dict)  # issues and pull requests share numbers
    pulls: dict[int, dict] = field(default_factory=dict)
    comments: dict[int, dict] = field(default_factory=dict)
    labels: dict[str, dict] = field(default_factory=dict)
    dispatches: list[dict] = field(default_factory=list)
    users: dict[str, dict] = field(default_factory=dict)
    npm_packages: dict[str, dict[str, bytes]] = field(default_factory=dict)  # name -> version -> tarball
    tokens: dict[str, Token] = field(default_factory=dict)  # the tokens this fake issued
    next_number: int = 1
    next_comment_id: int = 1000


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_certificate(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1/localhost it signed: (ca, cert, key)."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-github test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, cert_path, key_path


class FakeGitHub:
    def __init__(self, root: Path, owner: str = "owner", repo: str = "repo", default_branch: str = "main"):
        self.root = Path(root)
        self.owner, self.repo, self.default_branch = owner, repo, default_branch
        self.state = State()
        self.requests: list[RecordedRequest] = []
        self.lock = threading.RLock()
        self.ca_cert, self._cert, self._key = make_certificate(self.root / "tls")
        self.git_root = self.root / "git"
        # The repository setting "Allow GitHub Actions to create and approve pull requests" (off by
        # default on GitHub): when off, GITHUB_TOKEN gets a 403 on POST /pulls.
        self.actions_can_create_pull_requests = True
        # What a test's own setup (seeding branches, cloning) authenticates with: every permission.
        self.admin_token = self.issue_token(kind="pat")
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self) -> FakeGitHub:
        handler = type("Handler", (_Handler,), {"github": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self._cert, self._key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- addresses ------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"https://{self.host}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v3"

    @property
    def repo_url(self) -> str:
        """The repository's clone URL (use it as the ``origin`` of a test repository)."""
        return f"{self.base_url}/{self.owner}/{self.repo}.git"

    @property
    def npm_registry(self) -> str:
        return f"{self.base_url}/npm/"

    def client_env(self) -> dict[str, str]:
        """Variables that make node, npm, Python and git trust this server's certificate, and still
        the machine's own authorities (a workflow step also installs from the package index)."""
        bundle = self.ca_cert.with_name("bundle.pem")
        if not bundle.exists():
            system = ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt"
            trusted = Path(system).read_text() if Path(system).exists() else ""
            bundle.write_text(trusted.rstrip("\n") + "\n" + self.ca_cert.read_text())
        return {
            "NODE_EXTRA_CA_CERTS": str(self.ca_cert),
            "SSL_CERT_FILE": str(bundle),
            "REQUESTS_CA_BUNDLE": str(bundle),
            "PIP_CERT": str(bundle),
            "GIT_SSL_CAINFO": str(bundle),
            "CURL_CA_BUNDLE": str(bundle),
            "NPM_CONFIG_CAFILE": str(bundle),
        }

    def git_env(self, token: str | None = None) -> dict[str, str]:
        """``client_env()`` plus ``token`` (default ``admin_token``) on every git request to this
        server, as actions/checkout's extraheader sends it: one line for a test's setup pushes."""
        basic = base64.b64encode(f"x-access-token:{token or self.admin_token}".encode()).decode()
        return {
            **self.client_env(),
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": f"http.{self.base_url}/.extraheader",
            "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
        }

    # ---- tokens ---------------------------------------------------------------------------------
    def issue_token(self, permissions: Mapping[str, str] | None = None, kind: str = "installation") -> str:
        """A new token this fake accepts, holding ``permissions`` (e.g. ``{"contents": "write"}``;
        None: write on everything). ``kind`` "installation" (``ghs_``, what GITHUB_TOKEN and GitHub
        App tokens are) or "pat" (a fine-grained personal access token, ``github_pat_``)."""
        granted = dict.fromkeys(PERMISSIONS, "write") if permissions is None else dict(permissions)
        unknown = set(granted) - set(PERMISSIONS) or {v for v in granted.values() if v not in LEVELS}
        if unknown:
            raise ValueError(f"not a GitHub permission or level: {sorted(unknown)}")
        value = TOKEN_PREFIXES[kind] + secrets.token_hex(20)
        with self.lock:
            self.state.tokens[value] = Token(kind, granted)
        return value

    def token(self, value: str) -> Token | None:
        """What an issued token may do (None: not issued here)."""
        with self.lock:
            return self.state.tokens.get(value)

    # ---- state: setup and inspection ------------------------------------------------------------
    def _issue_number(self) -> int:
        number = self.state.next_number
        self.state.next_number += 1
        return number

    def create_issue(self, title: str, body: str = "", labels: list[str] = ()) -> dict:
        with self.lock:
            number = self._issue_number()
            issue = {
                "number": number,
                "title": title,
                "body": body,
                "state": "open",
                "labels": [self._label(name) for name in labels],
                "html_url": f"{self.base_url}/{self.owner}/{self.repo}/issues/{number}",
                "created_at": _now(),
                "updated_at": _now(),
            }
            self.state.issues[number] = issue
            return issue

    def add_pull(
        self,
        number: int | None = None,
        *,
        head_sha: str,
        head_ref: str,
        base_ref: str | None = None,
        head_repo: str | None = None,
        title: str = "A pull request",
        body: str = "",
    ) -> dict:
        """Register an open pull request (as GitHub would have it when a workflow runs for it)."""
        with self.lock:
            number = number or self._issue_number()
            self.state.next_number = max(self.state.next_number, number + 1)
            full_name = f"{self.owner}/{self.repo}"
            pull = {
                "number": number,
                "title": title,
                "body": body,
                "state": "open",
                "html_url": f"{self.base_url}/{full_name}/pull/{number}",
                "url": f"{self.api_url}/repos/{full_name}/pulls/{number}",
                "head": {"sha": head_sha, "ref": head_ref, "repo": {"full_name": head_repo or full_name}},
                "base": {"ref": base_ref or self.default_branch, "repo": {"full_name": full_name}},
                "labels": [],
                "created_at": _now(),
            }
            self.state.pulls[number] = pull
            self.state.issues[number] = {
                "number": number,
                "title": title,
                "body": body,
                "state": "open",
                "labels": [],
                "html_url": pull["html_url"],
                "pull_request": {"url": pull["url"]},
            }
            return pull

    def set_pull_head(self, number: int, head_sha: str) -> None:
        with self.lock:
            self.state.pulls[number]["head"]["sha"] = head_sha

    def add_comment(self, number: int, body: str, user: str = "someone") -> dict:
        with self.lock:
            comment_id = self.state.next_comment_id
            self.state.next_comment_id += 1
            comment = {
                "id": comment_id,
                "issue_number": number,
                "body": body,
                "user": {"login": user},
                "html_url": f"{self.state.issues[number]['html_url']}#issuecomment-{comment_id}",
                "created_at": _now(),
                "updated_at": _now(),
            }
            self.state.comments[comment_id] = comment
            return comment

    def comments(self, number: int) -> list[dict]:
        """Comments on an issue or pull request, oldest first."""
        with self.lock:
            return [dict(c) for c in self.state.comments.values() if c["issue_number"] == number]

    def calls(self, method: str | None = None, pattern: str = "") -> list[RecordedRequest]:
        """Logged requests, filtered by method and a regular expression on the path."""
        with self.lock:
            return [r for r in self.requests if (method is None or r.method == method) and re.search(pattern, r.path)]

    def create_git_repo(self, owner: str | None = None, repo: str | None = None) -> Path:
        """An empty bare repository served at ``/<owner>/<repo>.git`` (push to it over HTTPS)."""
        path = self.git_root / (owner or self.owner) / f"{repo or self.repo}.git"
        path.parent.mkdir(parents=True, exist_ok=True)
        # No `http.receivepack`: git http-backend then lets a push through only with REMOTE_USER set,
        # which _git sets for a token that may write (this fake's check decides, as GitHub's does).
        subprocess.run(
            ["git", "init", "-q", "--bare", f"--initial-branch={self.default_branch}", str(path)], check=True
        )
        return path

    def create_branch(self, branch: str) -> str:
        """A branch with one empty commit on the repository's bare git repo (created when missing), for
        tests that open a pull request without pushing anything; returns the commit's sha."""
        path = self.git_root / self.owner / f"{self.repo}.git"
        if not path.exists():
            self.create_git_repo()
        env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.test", "GIT_COMMITTER_NAME": "t",
               "GIT_COMMITTER_EMAIL": "t@example.test", "PATH": "/usr/bin:/bin:/usr/local/bin"}  # fmt: skip
        empty_tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        sha = subprocess.run(
            ["git", "commit-tree", empty_tree, "-m", branch],
            cwd=path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        subprocess.run(["git", "update-ref", f"refs/heads/{branch}", sha], cwd=path, check=True)
        return sha

    def publish_npm_package(self, name: str, version: str, tarball: bytes) -> None:
        with self.lock:
            self.state.npm_packages.setdefault(name, {})[version] = tarball

    # ---- helpers for the handler ----------------------------------------------------------------
    def _label(self, name: str) -> dict:
        label = self.state.labels.get(name)
        if label is None:
            label = {"name": name, "color": "ededed", "description": ""}
            self.state.labels[name] = label
        return label

    def _record(self, request: RecordedRequest) -> None:
        with self.lock:
            self.requests.append(request)


class _Handler(BaseHTTPRequestHandler):
    github: FakeGitHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # the request log is kept in memory, not printed
        pass

    # One entry point for every method: parse, route, answer, log.
    def _handle(self) -> None:
        split = urlsplit(self.path)
        path, query = unquote(split.path), parse_qs(split.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = self._read_chunked()
        authorized = bool(self.headers.get("Authorization"))
        if path.startswith("/api/v3/"):
            body = None
            if raw:
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    self._json(400, {"message": "Problems parsing JSON"})
                    return self.github._record(RecordedRequest(self.command, path, query, raw, authorized, 400))
            status = self._api(path[len("/api/v3") :], query, body, authorized)
            self.github._record(RecordedRequest(self.command, path, query, body, authorized, status))
        elif path.startswith("/npm/"):
            status = self._npm(split.path[len("/npm/") :])
            self.github._record(RecordedRequest(self.command, path, query, None, authorized, status))
        elif ".git/" in path or path.endswith(".git"):
            status = self._git(split, raw)
            self.github._record(RecordedRequest(self.command, path, query, None, authorized, status))
        else:
            self._json(404, {"message": "Not Found"})
            self.github._record(RecordedRequest(self.command, path, query, raw or None, authorized, 404))

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    def _read_chunked(self) -> bytes:
        data = b""
        while True:
            size = int(self.rfile.readline().strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return data
            data += self.rfile.read(size)
            self.rfile.readline()

    def _send(self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None) -> int:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)
        return status

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> int:
        payload = b"" if status == 204 else json.dumps(data).encode()
        return self._send(status, payload, "application/json; charset=utf-8", headers)

    # ---- REST API -------------------------------------------------------------------------------
    # Routes under /repos/<owner>/<repo>: (method, path pattern) -> handler(self, match, query, body).
    def _api(self, path: str, query: dict, body: Any, authorized: bool) -> int:
        gh = self.github
        token = None
        if authorized:
            token = gh.token(token_in(self.headers["Authorization"]))
            if token is None:  # GitHub answers this even to a read that needed no token
                return self._json(401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"})
        elif self.command != "GET":
            return self._json(401, {"message": "Requires authentication", "documentation_url": DOCS, "status": "401"})
        body = body if isinstance(body, dict) else {}
        if m := re.fullmatch(r"/users/([^/]+)", path):
            return self._get_user(m, query, body)
        m = re.fullmatch(rf"/repos/{re.escape(gh.owner)}/{re.escape(gh.repo)}(/.*)?", path)
        if not m:
            return self._json(404, {"message": "Not Found"})
        rest = m.group(1) or ""
        with gh.lock:
            for (method, pattern), (handler, permission) in ROUTES.items():
                if method == self.command and (match := re.fullmatch(pattern, rest)):
                    if token is not None and not self._permitted(token, permission, match):
                        return self._json(
                            403, {"message": NOT_ACCESSIBLE[token.kind], "documentation_url": DOCS, "status": "403"}
                        )
                    return handler(self, match, query, body)
        return self._json(404, {"message": "Not Found"})

    def _permitted(self, token: Token, permission: str, match: re.Match) -> bool:
        """Reads need read or write, writes need write. GitHub serves a pull request's conversation
        through the issues routes and accepts ``pull-requests`` there as well as ``issues``."""
        level = "read" if self.command == "GET" else "write"
        accepted = [permission]
        if permission == "issues" and self._is_pull(match):
            accepted.append("pull-requests")
        return any(token.allows(name, level) for name in accepted)

    def _is_pull(self, match: re.Match) -> bool:
        """Whether an issues route may be about a pull request (by number, or by one of its
        comments). One that does not exist may be either: the handler answers 404."""
        state, pattern = self.github.state, match.re.pattern
        if not match.groups():
            return False
        ident = int(match.group(1))
        if pattern.startswith(r"/issues/comments/"):
            comment = state.comments.get(ident)
            return comment is None or comment["issue_number"] in state.pulls
        return ident in state.pulls or ident not in state.issues

    def _not_found(self) -> int:
        return self._json(404, {"message": "Not Found"})

    def _invalid(self, field_name: str, message: str = "Validation Failed") -> int:
        return self._json(422, {"message": message, "errors": [{"field": field_name}]})

    def _validation_failed(self, error: dict) -> int:
        return self._json(
            422,
            {
                "message": "Validation Failed",
                "errors": [error],
                "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
                "status": "422",
            },
        )

    def _get_user(self, m, query, body) -> int:
        state, login = self.github.state, m.group(1)
        user = state.users.setdefault(login, {"login": login, "id": 1000 + len(state.users), "name": login})
        return self._json(200, user)

    def _get_repo(self, m, query, body) -> int:
        gh = self.github
        full_name = f"{gh.owner}/{gh.repo}"
        return self._json(
            200, {"full_name": full_name, "default_branch": gh.default_branch, "html_url": f"{gh.base_url}/{full_name}"}
        )

    def _list_issues(self, m, query, body) -> int:
        wanted = query.get("state", ["open"])[0]
        labels = {name for value in query.get("labels", []) for name in value.split(",") if name}
        found = [
            issue
            for issue in self.github.state.issues.values()
            if (wanted == "all" or issue["state"] == wanted) and labels <= {label["name"] for label in issue["labels"]}
        ]
        return self._page(sorted(found, key=lambda i: -i["number"]), query, "/issues")

    def _create_issue(self, m, query, body) -> int:
        if not body.get("title"):
            return self._invalid("title")
        issue = self.github.create_issue(body["title"], body.get("body") or "", body.get("labels") or [])
        return self._json(201, issue)

    def _get_issue(self, m, query, body) -> int:
        issue = self.github.state.issues.get(int(m.group(1)))
        return self._json(200, issue) if issue else self._not_found()

    def _update_issue(self, m, query, body) -> int:
        issue = self.github.state.issues.get(int(m.group(1)))
        if issue is None:
            return self._not_found()
        for key in ("title", "body", "state"):
            if key in body:
                issue[key] = body[key]
        if "labels" in body:
            issue["labels"] = [self.github._label(name) for name in body["labels"]]
        issue["updated_at"] = _now()
        return self._json(200, issue)

    def _list_comments(self, m, query, body) -> int:
        number = int(m.group(1))
        if number not in self.github.state.issues:
            return self._not_found()
        found = sorted(self.github.comments(number), key=lambda c: c["id"])  # oldest first, as GitHub
        return self._page(found, query, f"/issues/{number}/comments")

    def _create_comment(self, m, query, body) -> int:
        number = int(m.group(1))
        if number not in self.github.state.issues:
            return self._not_found()
        if not isinstance(body.get("body"), str):
            return self._invalid("body")
        return self._json(201, self.github.add_comment(number, body["body"]))

    def _get_comment(self, m, query, body) -> int:
        comment = self.github.state.comments.get(int(m.group(1)))
        return self._json(200, comment) if comment else self._not_found()

    def _update_comment(self, m, query, body) -> int:
        comment = self.github.state.comments.get(int(m.group(1)))
        if comment is None:
            return self._not_found()
        if not isinstance(body.get("body"), str):
            return self._invalid("body")
        comment["body"] = body["body"]
        comment["updated_at"] = _now()
        return self._json(200, comment)

    def _delete_comment(self, m, query, body) -> int:
        if self.github.state.comments.pop(int(m.group(1)), None) is None:
            return self._not_found()
        return self._json(204, None)

    def _list_labels_on_issue(self, m, query, body) -> int:
        issue = self.github.state.issues.get(int(m.group(1)))
        return self._json(200, issue["labels"]) if issue else self._not_found()

    def _add_labels(self, m, query, body) -> int:
        issue = self.github.state.issues.get(int(m.group(1)))
        if issue is None:
            return self._not_found()
        if self.command == "PUT":
            issue["labels"] = []
        have = {label["name"] for label in issue["labels"]}
        issue["labels"] += [self.github._label(name) for name in body.get("labels") or [] if name not in have]
        return self._json(200, issue["labels"])

    def _list_labels(self, m, query, body) -> int:
        return self._page(list(self.github.state.labels.values()), query, "/labels")

    def _create_label(self, m, query, body) -> int:
        name = body.get("name")
        if not name:
            return self._invalid("name")
        if name in self.github.state.labels:
            return self._json(422, {"message": "Validation Failed", "errors": [{"code": "already_exists"}]})
        label = self.github._label(name)
        label.update({k: body[k] for k in ("color", "description") if k in body})
        return self._json(201, label)

    def _create_pull(self, m, query, body) -> int:
        gh = self.github
        missing = [key for key in ("title", "head", "base") if not body.get(key)]
        if missing:
            return self._invalid(missing[0])
        token = gh.token(token_in(self.headers["Authorization"]))
        if token is not None and token.kind == "installation" and not gh.actions_can_create_pull_requests:
            # GITHUB_TOKEN (an installation token) while "Allow GitHub Actions to create and approve
            # pull requests" is off: GitHub's exact answer.
            return self._json(
                403,
                {
                    "message": "GitHub Actions is not permitted to create or approve pull requests.",
                    "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
                    "status": "403",
                },
            )
        # GitHub's 422s for a pull request that cannot exist (docs.github.com/rest/pulls/pulls#create-a-pull-request):
        # a head branch the repository does not have, head equal to base, or a second open one.
        head = body["head"].split(":", 1)[-1]
        head_sha = self._branch_sha(head)
        if head_sha is None:
            return self._validation_failed({"resource": "PullRequest", "field": "head", "code": "invalid"})
        if head == body["base"]:
            return self._validation_failed(
                {"resource": "PullRequest", "code": "custom", "message": f"No commits between {head} and {head}"}
            )
        with gh.lock:
            duplicate = any(
                p["state"] == "open" and p["head"]["ref"] == head and p["base"]["ref"] == body["base"]
                for p in gh.state.pulls.values()
            )
        if duplicate:
            return self._validation_failed(
                {
                    "resource": "PullRequest",
                    "code": "custom",
                    "message": f"A pull request already exists for {gh.owner}:{head}.",
                }
            )
        pull = gh.add_pull(
            head_sha=head_sha,
            head_ref=head,
            base_ref=body["base"],
            title=body["title"],
            body=body.get("body") or "",
        )
        return self._json(201, pull)

    def _list_pulls(self, m, query, body) -> int:
        wanted = query.get("state", ["open"])[0]
        head = query.get("head", [None])[0]
        found = [
            p
            for p in self.github.state.pulls.values()
            if (wanted == "all" or p["state"] == wanted) and (head is None or head.split(":")[-1] == p["head"]["ref"])
        ]
        return self._page(sorted(found, key=lambda p: -p["number"]), query, "/pulls")

    def _get_pull(self, m, query, body) -> int:
        pull = self.github.state.pulls.get(int(m.group(1)))
        return self._json(200, pull) if pull else self._not_found()

    def _commit_pulls(self, m, query, body) -> int:
        found = [p for p in self.github.state.pulls.values() if p["head"]["sha"] == m.group(1)]
        return self._page(found, query, f"/commits/{m.group(1)}/pulls")

    def _dispatch(self, m, query, body) -> int:
        if not body.get("ref"):
            return self._json(422, {"message": "Invalid request", "errors": [{"field": "ref"}]})
        self.github.state.dispatches.append({"workflow": m.group(1), "ref": body["ref"], "inputs": body.get("inputs")})
        return self._json(204, None)

    def _page(self, items: list, query: dict, route: str) -> int:
        """One page of ``items`` with GitHub's ``Link`` header (first/prev/next/last, per_page kept)."""
        per_page = max(1, min(int(query.get("per_page", [PAGE_SIZE])[0]), 100))
        page = max(1, int(query.get("page", ["1"])[0]))
        last = max(1, -(-len(items) // per_page))
        gh = self.github
        base = f"{gh.api_url}/repos/{gh.owner}/{gh.repo}{route}"
        kept = [(key, value) for key, values in query.items() if key not in ("page", "per_page") for value in values]
        extra = "".join(f"&{key}={value}" for key, value in kept)
        links = []
        if page < last:
            links += [(page + 1, "next"), (last, "last")]
        if page > 1:
            links += [(1, "first"), (page - 1, "prev")]
        headers = {}
        if links:
            pages = [f'<{base}?per_page={per_page}&page={n}{extra}>; rel="{rel}"' for n, rel in links]
            headers["Link"] = ", ".join(pages)
        return self._json(200, items[(page - 1) * per_page : page * per_page], headers)

    def _branch_sha(self, branch: str) -> str | None:
        repo = self.github.git_root / self.github.owner / f"{self.github.repo}.git"
        if not repo.exists():
            return None
        out = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
            cwd=repo,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip() or None

    # ---- npm registry ---------------------------------------------------------------------------
    def _npm(self, raw_path: str) -> int:
        gh = self.github
        if raw_path.startswith("-/tarballs/"):
            name, _, version = unquote(raw_path[len("-/tarballs/") :]).removesuffix(".tgz").rpartition("@")
            tarball = gh.state.npm_packages.get(name, {}).get(version)
            if tarball is None:
                return self._json(404, {"error": "Not found"})
            return self._send(200, tarball, "application/octet-stream")
        name = unquote(raw_path).strip("/")
        versions = gh.state.npm_packages.get(name)
        if not versions:
            return self._json(404, {"error": "Not found"})
        packument = {"name": name, "dist-tags": {"latest": sorted(versions)[-1]}, "versions": {}}
        for version, tarball in versions.items():
            manifest = _package_json(tarball)
            manifest["dist"] = {
                "tarball": f"{gh.npm_registry}-/tarballs/{name.replace('/', '%2f')}@{version}.tgz",
                "shasum": hashlib.sha1(tarball).hexdigest(),
                "integrity": "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode(),
            }
            packument["versions"][version] = manifest
        return self._json(200, packument)

    # ---- git smart HTTP through the real git http-backend ---------------------------------------
    def _git(self, split, raw: bytes) -> int:
        """Git over HTTPS as GitHub guards it: the public repository clones and fetches anonymously;
        a push (``git-receive-pack``) needs an issued token with ``contents: write``; a token that
        was not issued is refused either way."""
        push = split.path.endswith("/git-receive-pack") or "service=git-receive-pack" in split.query
        authorization = self.headers.get("Authorization")
        token = self.github.token(token_in(authorization)) if authorization else None
        if (authorization and token is None) or (push and not authorization):
            # git answers the challenge with the URL's or the credential helper's user and token.
            challenge = {"WWW-Authenticate": 'Basic realm="GitHub"'}
            return self._send(401, b"Invalid username or token.\n", "text/plain", challenge)
        if push and token is not None and not token.allows("contents", "write"):
            denied = f"Permission to {self.github.owner}/{self.github.repo}.git denied.\n".encode()
            return self._send(403, denied, "text/plain")
        env = {
            "GIT_PROJECT_ROOT": str(self.github.git_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": unquote(split.path),
            "QUERY_STRING": split.query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(raw)),
            # git http-backend allows receive-pack only to an authenticated user: the checks above.
            "REMOTE_USER": "x-access-token" if push else "",
            "REMOTE_ADDR": "127.0.0.1",
            "PATH": "/usr/bin:/bin:/usr/local/bin",
        }
        if self.headers.get("Content-Encoding") == "gzip":
            env["HTTP_CONTENT_ENCODING"] = "gzip"
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        result = subprocess.run(["git", "http-backend"], input=raw, env=env, capture_output=True)
        head, _, payload = result.stdout.partition(b"\r\n\r\n")
        status, headers = 200, {}
        for line in head.decode(errors="replace").split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key and key.lower() not in ("content-length",):
                headers[key.strip()] = value.strip()
        content_type = headers.pop("Content-Type", "application/octet-stream")
        return self._send(status, payload, content_type, headers)


# (method, path under /repos/<owner>/<repo>) -> (handler, the fine-grained permission it needs),
# as GitHub's REST reference lists them per endpoint; GET needs read, the other methods write.
ROUTES: dict[tuple[str, str], tuple[Any, str]] = {
    ("GET", r""): (_Handler._get_repo, "metadata"),
    ("GET", r"/issues"): (_Handler._list_issues, "issues"),
    ("POST", r"/issues"): (_Handler._create_issue, "issues"),
    ("GET", r"/issues/(\d+)"): (_Handler._get_issue, "issues"),
    ("PATCH", r"/issues/(\d+)"): (_Handler._update_issue, "issues"),
    ("GET", r"/issues/(\d+)/comments"): (_Handler._list_comments, "issues"),
    ("POST", r"/issues/(\d+)/comments"): (_Handler._create_comment, "issues"),
    ("GET", r"/issues/comments/(\d+)"): (_Handler._get_comment, "issues"),
    ("PATCH", r"/issues/comments/(\d+)"): (_Handler._update_comment, "issues"),
    ("DELETE", r"/issues/comments/(\d+)"): (_Handler._delete_comment, "issues"),
    ("GET", r"/issues/(\d+)/labels"): (_Handler._list_labels_on_issue, "issues"),
    ("POST", r"/issues/(\d+)/labels"): (_Handler._add_labels, "issues"),
    ("PUT", r"/issues/(\d+)/labels"): (_Handler._add_labels, "issues"),
    ("GET", r"/labels"): (_Handler._list_labels, "issues"),
    ("POST", r"/labels"): (_Handler._create_label, "issues"),
    ("GET", r"/pulls"): (_Handler._list_pulls, "pull-requests"),
    ("POST", r"/pulls"): (_Handler._create_pull, "pull-requests"),
    ("GET", r"/pulls/(\d+)"): (_Handler._get_pull, "pull-requests"),
    ("GET", r"/commits/([0-9a-fA-F]+)/pulls"): (_Handler._commit_pulls, "pull-requests"),
    ("POST", r"/actions/workflows/([^/]+)/dispatches"): (_Handler._dispatch, "actions"),
}


def _package_json(tarball: bytes) -> dict:
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        return json.load(archive.extractfile("package/package.json"))
