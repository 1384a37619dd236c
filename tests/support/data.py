"""Synthetic tables that satisfy a schema, generated from the schema itself (so they follow it).

The tests run on three contracts: the shipped ``schema.yaml`` (whatever a team made of it) and
two built-in ones in ``tests/schemas/`` (a churn classification with string labels and no
timestamp, a price regression). Nothing here knows a column by name: columns are picked by their
declared kind and role (``pick``), so the suite stays green after a team adapts the template.
"""

from __future__ import annotations

import functools
import re
import string
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from gitops_ml.schema import Column, Schema, load_schema, read_schema
from tests.support.project import ROOT

SCHEMAS_DIR = ROOT / "tests" / "schemas"
BUILT_IN = {"churn": SCHEMAS_DIR / "churn.yaml", "prices": SCHEMAS_DIR / "prices.yaml"}
START = pd.Timestamp("2013-01-01 05:00")  # generated datetimes start here, a few minutes apart


def schema_file(name: str) -> Path:
    """``shipped`` is the repository's schema.yaml; the others are built in."""
    return ROOT / "schema.yaml" if name == "shipped" else BUILT_IN[name]


def contract(name: str = "shipped") -> Schema:
    return load_schema(ROOT / "schema.yaml") if name == "shipped" else read_schema(BUILT_IN[name])


ALL_CONTRACTS = ["shipped", *BUILT_IN]


POOL = 40  # distinct values drawn per pattern: enough variety, and hypothesis is slow per example


def pattern_values(pattern: str, count: int, seed: int) -> list[str]:
    """``count`` strings matching ``pattern`` in full, from a pool hypothesis writes (cached per pattern)."""
    rng = np.random.default_rng(seed)
    return list(rng.choice(np.array(_pattern_pool(pattern), dtype=object), size=count))


@functools.cache
def _pattern_pool(pattern: str) -> list[str]:
    from hypothesis import strategies as st
    from hypothesis.errors import NonInteractiveExampleWarning

    strategy = st.from_regex(re.compile(pattern), fullmatch=True).filter(lambda text: text.isprintable())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        return sorted({strategy.example() for _ in range(POOL)})


def _bounds(column: Column) -> tuple[float, float]:
    low = column.minimum if column.minimum is not None else 0.0
    high = column.maximum if column.maximum is not None else low + 100.0
    return float(low), float(high)


def column_values(column: Column, rows: int, rng: np.random.Generator, unique: bool = False) -> np.ndarray:
    if column.kind == "datetime":
        # Distinct minutes, so a key that holds the timestamp stays unique.
        return (START + pd.to_timedelta(rng.permutation(rows) * 7, unit="min")).to_numpy()
    if column.categories is not None:
        values = rng.choice(np.array(column.categories, dtype=object), size=rows)
        return values.astype("int64") if column.kind == "int" else values
    if column.kind == "category":
        if column.pattern is not None:
            return np.array(pattern_values(column.pattern, rows, int(rng.integers(1 << 31))), dtype=object)
        if unique:
            return np.array([f"id-{i:07d}" for i in rng.permutation(rows)], dtype=object)
        words = [f"{letter}{letter}" for letter in string.ascii_lowercase[:8]]
        return rng.choice(np.array(words, dtype=object), size=rows)
    low, high = _bounds(column)
    if unique and column.kind == "int":
        return (low + rng.permutation(rows)).astype("int64")
    values = rng.uniform(low, high, size=rows)
    return values.round().astype("int64") if column.kind == "int" else values


def _signal(frame: pd.DataFrame, schema: Schema, rng: np.random.Generator) -> np.ndarray:
    """A learnable score from the inputs: standardised numbers and a per-category effect."""
    score = np.zeros(len(frame))
    for column in schema.input_columns()[:8]:
        values = frame[column.name]
        if column.numeric:
            numbers = values.astype(float).fillna(values.astype(float).mean())
            spread = numbers.std() or 1.0
            score += (numbers - numbers.mean()).to_numpy() / spread
        elif column.kind == "category":
            codes = {value: rng.normal() for value in pd.unique(values.dropna())}
            score += values.map(codes).fillna(0.0).to_numpy(dtype=float)
    return score / max(np.std(score), 1e-9)


def _target(frame: pd.DataFrame, schema: Schema, rng: np.random.Generator) -> np.ndarray:
    signal = _signal(frame, schema, rng)
    target = schema.target_column
    if schema.task == "classification":
        probability = 1 / (1 + np.exp(-(1.5 * signal - 1.0)))
        positive = rng.uniform(size=len(frame)) < probability
        labels = np.where(positive, schema.positive_label, schema.negative_label).astype(object)
        return labels.astype("int64") if target.kind == "int" else labels
    low, high = _bounds(target)
    centre, scale = low + (high - low) * 0.3, (high - low) * 0.05
    values = np.clip(centre + scale * (signal + 0.3 * rng.normal(size=len(frame))), low, high)
    return values.round().astype("int64") if target.kind == "int" else values


def valid_frame(rows: int = 2000, seed: int = 0, schema: Schema | None = None) -> pd.DataFrame:
    """``rows`` rows that pass every rule of ``schema`` (default: the shipped schema.yaml)."""
    schema = schema or contract()
    rng = np.random.default_rng(seed)
    single_key = schema.key[0] if len(schema.key) == 1 else None
    data: dict[str, object] = {}
    for column in schema.columns:
        if column.role != "target":
            data[column.name] = column_values(column, rows, rng, unique=column.name == single_key)
    frame = pd.DataFrame(data)
    for column in schema.columns:
        if column.nullable and column.role != "target":
            # Half the allowance, so any head of the table passes too.
            every = max(2, int(np.ceil(2 / column.max_null_fraction)))
            missing = np.arange(rows) % every == every - 1
            frame[column.name] = frame[column.name].astype(object if column.kind == "category" else "float64")
            frame.loc[missing, column.name] = None if column.kind == "category" else np.nan
    frame[schema.target] = _target(frame, schema, rng)
    return frame[[column.name for column in schema.columns]]


def pick(schema: Schema, kind: str | None = None, **wanted: object) -> Column:
    """The first input column of this kind with these properties (e.g. ``nullable=True``,
    ``has_range=True``, ``has_categories=True``, ``has_pattern=True``); skips the test when the
    schema has none, since then the rule it would check cannot occur."""
    import pytest

    tests = {
        "nullable": lambda c: c.nullable,
        "has_range": lambda c: c.minimum is not None or c.maximum is not None,
        "has_categories": lambda c: c.categories is not None,
        "has_pattern": lambda c: c.pattern is not None,
    }
    for column in schema.input_columns():
        if kind is not None and column.kind != kind:
            continue
        if all(tests[name](column) == value for name, value in wanted.items()):
            return column
    pytest.skip(f"the schema has no {kind or ''} input with {wanted}")
