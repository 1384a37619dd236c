"""A stand-in for CML's asset host (https://asset.cml.dev), where `cml comment --publish` uploads the
local images a report links, for offline tests.

CML 0.20.6 (src/utils.js ``upload``) POSTs each file's bytes to the publish URL with
``Content-Type`` (the file's MIME type), ``Content-Length`` and ``Content-Disposition: inline;
filename="..."``, and takes the response body, as text, as the file's public URI. This server does
the same on plain HTTP on loopback: it keeps every upload in memory and answers with a
content-addressed URL on itself (``http://127.0.0.1:PORT/<sha256 of the bytes>``), which it then
serves with the uploaded type. What the real host does beyond that (storage, expiry, size limits)
is not modelled.

CML reads the publish URL from ``--publish-url`` or, through yargs' ``.env('CML_COMMENT')``, from
``CML_COMMENT_PUBLISH_URL``: tests point it here with that variable, the workflows stay unchanged.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PUBLISH_URL_ENV = "CML_COMMENT_PUBLISH_URL"


@dataclass(frozen=True)
class Upload:
    content: bytes
    content_type: str
    disposition: str
    digest: str  # sha256 hex of content, the last segment of the URL it was given


class AssetHost:
    def __init__(self) -> None:
        self.uploads: list[Upload] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def env(self) -> dict[str, str]:
        """What makes CML (and its stand-in) publish here."""
        return {PUBLISH_URL_ENV: self.url}

    def start(self) -> AssetHost:
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                pass

            def do_POST(self) -> None:
                content = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                upload = Upload(
                    content,
                    self.headers.get("Content-Type", ""),
                    self.headers.get("Content-Disposition", ""),
                    hashlib.sha256(content).hexdigest(),
                )
                with host._lock:
                    host.uploads.append(upload)
                self._answer(200, "text/plain", f"{host.url}/{upload.digest}".encode())

            def do_GET(self) -> None:
                digest = self.path.split("?")[0].strip("/")
                with host._lock:
                    found = [upload for upload in host.uploads if upload.digest == digest]
                if found:
                    self._answer(200, found[-1].content_type, found[-1].content)
                else:
                    self._answer(404, "text/plain", b"not found")

            def _answer(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
