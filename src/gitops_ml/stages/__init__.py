"""One module per dvc.yaml stage, each with a ``main()``; dvc.yaml runs ``python -m`` on them."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a stage runs: the `source` stage runs on every repro and stays light
    from gitops_ml.config import Params
    from gitops_ml.schema import Schema


class StageError(RuntimeError):
    """A stage refused its input; the message says what to fix."""


def run_stage(stage: Callable[[Params, Schema], object]) -> None:
    """Run a stage with params.yaml and schema.yaml; expected failures exit 1 with the message, not a traceback."""
    from gitops_ml.config import ConfigError, load_params
    from gitops_ml.schema import SchemaError, load_schema

    try:
        params, schema = load_params(), load_schema()
        params.check_against(schema)
        stage(params, schema)
    except (ConfigError, SchemaError, StageError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
