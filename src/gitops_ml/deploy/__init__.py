"""Getting a trained model into production: BentoML store and Bento, smoke test, GitOps manifests,
MLflow registry. Each module is a small CLI (``python -m gitops_ml.deploy.<module>``) that the
Makefile and the deploy workflow call; none of it is imported by the service itself."""

from __future__ import annotations

import functools
import sys
from typing import Protocol


class DeployError(RuntimeError):
    """A deploy step refused to continue; the message says what is wrong and what to do."""


class Main(Protocol):
    """A deploy step's ``main``: the command-line arguments (None = sys.argv[1:]) in, the exit code out."""

    def __call__(self, argv: list[str] | None = None) -> int: ...


def cli(main: Main) -> Main:
    """A deploy step's entry point: a DeployError ends it with one line on stderr and exit code 1
    (the workflow log shows the reason, not a traceback)."""

    @functools.wraps(main)
    def run(argv: list[str] | None = None) -> int:
        try:
            return main(argv)
        except DeployError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1

    return run
