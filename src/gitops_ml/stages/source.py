"""source: fingerprint the table params.yaml ``data.source`` names, so DVC reruns ingest when
the data changes, not only when its name does.

DVC cannot list ``data.source`` as a dependency itself (it may be a URL or a bundled example),
so this stage always runs (``always_changed``) and writes reports/source.json: what the source is
and a fingerprint of its content. It costs a second; when the fingerprint is unchanged, DVC skips
ingest and everything after it. The fingerprint is the same on every machine: a content hash for
local files, the server's ETag (or size and modification time) for URLs, the package version for
a bundled example.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import sys
from pathlib import Path
from typing import Any

import yaml

from gitops_ml import paths
from gitops_ml.examples import PREFIX as EXAMPLE_PREFIX
from gitops_ml.io import write_json

CHUNK = 1 << 20


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def local_fingerprint(path: Path) -> dict[str, Any]:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files), "md5": [_md5(p) for p in files]}


def remote_fingerprint(url: str) -> dict[str, Any]:
    import fsspec

    info = fsspec.open(url).fs.info(url)
    keep = ("size", "ETag", "etag", "LastModified", "last_modified", "mtime", "md5Hash", "generation")
    return {key: str(info[key]) for key in keep if key in info}


def example_fingerprint(name: str, options: dict[str, Any]) -> dict[str, Any]:
    try:
        version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        version = "bundled"
    return {"example": name, "version": version, "options": options}


class SourceError(RuntimeError):
    """The source cannot be found or reached; the message names it."""


def fingerprint(source: str, options: dict[str, Any]) -> dict[str, Any]:
    if source.startswith(EXAMPLE_PREFIX):
        return example_fingerprint(source.removeprefix(EXAMPLE_PREFIX), options)
    if "://" in source and not source.startswith("file://"):
        try:
            return remote_fingerprint(source)
        except FileNotFoundError:
            raise SourceError(f"source: {source}: no such file") from None
        except Exception as error:  # fsspec drivers raise their own types; all mean "cannot reach"
            raise SourceError(f"source: {source}: cannot read its details ({type(error).__name__}: {error})") from None
    path = Path(source.removeprefix("file://"))
    if not path.exists():
        raise SourceError(f"source: {source}: no such file")
    return local_fingerprint(path)


def source(data: dict[str, Any]) -> dict[str, Any]:
    summary = {"source": data["source"], **fingerprint(str(data["source"]), data.get("options") or {})}
    write_json(paths.SOURCE, summary)
    return summary


def main() -> None:
    """Runs on every `dvc repro`, so it stays light: params.yaml is read as plain YAML (ingest, the
    next stage, checks it with the typed config) and pydantic, pandas and the schema stay unloaded."""
    try:
        data = yaml.safe_load(Path("params.yaml").read_text())["data"]
        source(data)
    except SourceError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except (OSError, KeyError, TypeError, yaml.YAMLError) as error:
        print(f"error: source: params.yaml has no readable data.source ({error})", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
