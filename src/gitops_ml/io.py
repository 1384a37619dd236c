"""Files in and out. Every write is atomic: a crash mid-write leaves the previous file intact.

DVC stage outputs are declared ``persist: true`` so DVC does not delete them before a stage
runs; together with these writers, a failed stage leaves the last good outputs in place.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas costs ~1 s to import; the report and gate CLIs never touch parquet
    import pandas as pd


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_with(path: Path | str, writer: Callable[[Path], Any]) -> None:
    with atomic_path(path) as tmp:
        writer(tmp)


def _json_safe(value: Any) -> Any:
    """NaN/inf are not JSON; write them as null rather than produce a file other tools reject."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if hasattr(value, "item"):  # numpy scalars
        return _json_safe(value.item())
    return value


def write_json(path: Path | str, data: Any) -> None:
    text = json.dumps(_json_safe(data), indent=2, sort_keys=False) + "\n"
    write_with(path, lambda tmp: tmp.write_text(text))


def read_json(path: Path | str) -> Any:
    return json.loads(Path(path).read_text())


def write_parquet(path: Path | str, frame: pd.DataFrame) -> None:
    write_with(path, lambda tmp: frame.to_parquet(tmp, index=False))


def read_parquet(path: Path | str) -> pd.DataFrame:
    import pandas as pd

    return pd.read_parquet(path)
