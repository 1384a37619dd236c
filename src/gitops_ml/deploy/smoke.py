"""Smoke test a running service before anything is published (and after a cluster rollout).

    python -m gitops_ml.deploy.smoke expected [--requests FILE]   # -> build/smoke/expected.json
    python -m gitops_ml.deploy.smoke check --url http://127.0.0.1:3000

``expected`` takes 300 records from the test split (seeded, a quarter with missing values when
the schema allows them; or ``--requests``, a JSON list of records a team keeps) and scores them
with the pipeline's model file (``models/model.joblib``) on a DataFrame read straight from the
JSON, the way a user would load them, not through the service's code. It writes the records and
the predictions to one file. ``check`` waits for ``/readyz``, sends the records (one batch, the
same batch column by column, and the first 24 one at a time) and requires the service's
predictions (the probability, for classification) to equal the expected ones (within
``TOLERANCE``: tree models answer bit for bit, a linear model's dense scoring may differ from the
pipeline's sparse one in the last bits), and a bad record to get a 4xx naming the field. Exit 1
with the differences when anything is off.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from gitops_ml import inference_log, paths
from gitops_ml.deploy import DeployError, cli
from gitops_ml.schema import Column, Schema, load_schema

EXPECTED = Path("build/smoke/expected.json")
# Enough records for a batch to take the sorted walk of compiled trees (compiled_trees.SORTED_FROM_ROWS);
# the first SINGLE_RECORDS of them are also sent one at a time.
SAMPLE_ROWS = 300
SINGLE_RECORDS = 24
TOLERANCE = 1e-6  # absolute, on a probability or a predicted number


def _agrees(served: Any, expected: float) -> bool:
    return isinstance(served, int | float) and math.isclose(served, expected, rel_tol=1e-12, abs_tol=TOLERANCE)


def sample(schema: Schema, rows: int = SAMPLE_ROWS, seed: int = 0) -> list[dict[str, Any]]:
    """Records from the test split, a quarter of them with missing values (sent as null) when the
    schema allows them."""
    import pandas as pd

    frame = pd.read_parquet(paths.split_file("test"))
    names = schema.input_names()
    nullable = [c.name for c in schema.input_columns() if c.nullable]
    with_nulls = frame[frame[nullable].isna().any(axis=1)] if nullable else frame.iloc[:0]
    some = min(rows // 4, len(with_nulls))
    picked = pd.concat(
        [with_nulls.sample(some, random_state=seed), frame.sample(min(rows - some, len(frame)), random_state=seed)]
    )
    records = json.loads(picked[names].to_json(orient="records", date_format="iso"))
    times = [c.name for c in schema.input_columns() if c.kind == "datetime"]
    for record in records:  # pandas writes 2013-07-01T05:00:00.000: keep what users send
        for name in times:
            if record[name] is not None:
                record[name] = record[name].removesuffix(".000")
    return records


def expected_predictions(records: list[dict[str, Any]], schema: Schema, model_file: Path = paths.MODEL) -> list[float]:
    import joblib
    import pandas as pd

    frame = pd.DataFrame.from_records(records, columns=schema.input_names())
    for column in schema.input_columns():
        if column.kind == "datetime":
            frame[column.name] = pd.to_datetime(frame[column.name], format="ISO8601")
    model = joblib.load(model_file)
    if schema.task == "classification":
        return model.predict_proba(frame)[:, 1].tolist()
    return model.predict(frame).tolist()


def output_field(schema: Schema) -> str:
    return inference_log.PROBABILITY if schema.task == "classification" else inference_log.PREDICTION


def broken_value(column: Column) -> Any:
    """A value the request model must refuse for this column."""
    if column.kind == "category":
        return 12345 if column.categories is None else "?? not a category"
    return "not a number" if column.numeric else "not a time"


def _post(url: str, body: Any, timeout: float = 30) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        text = error.read().decode(errors="replace")
        try:
            return error.code, json.loads(text)
        except json.JSONDecodeError:
            return error.code, text


def wait_ready(url: str, timeout_s: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    raise DeployError(f"{url}/readyz did not answer 200 within {timeout_s:.0f} s")


def check(
    url: str, records: list[dict[str, Any]], expected: list[float], schema: Schema, ready_timeout_s: float = 180
) -> list[str]:
    """Problems found (empty when the service is fit to publish)."""
    problems = []
    field = output_field(schema)
    seconds = wait_ready(url, ready_timeout_s)
    print(f"ready after {seconds:.1f} s")
    status, answer = _post(f"{url}/predict_batch", {"records": records})
    if status != 200:
        return [f"/predict_batch answered {status}: {answer}"]
    served = [prediction[field] for prediction in answer]
    problems += [
        f"record {i}: service {got!r} != pipeline {want!r}"
        for i, (got, want) in enumerate(zip(served, expected, strict=True))
        if not _agrees(got, want)
    ]
    columns = {name: [record.get(name) for record in records] for name in schema.input_names()}
    status, answer = _post(f"{url}/predict_columns", {"columns": columns})
    got = answer.get(field) if status == 200 and isinstance(answer, dict) else None
    if not (isinstance(got, list) and len(got) == len(expected) and all(map(_agrees, got, expected))):
        problems.append(f"/predict_columns answered {status}: {answer} (pipeline {expected})")
    for i, record in enumerate(records[:SINGLE_RECORDS]):
        status, answer = _post(f"{url}/predict", record)
        if status != 200 or not _agrees(answer[field], expected[i]):
            problems.append(f"/predict record {i}: {status} {answer} (pipeline {expected[i]!r})")
    return problems + refusal_problems(url, records[0], schema)


def refusal_problems(url: str, record: dict[str, Any], schema: Schema) -> list[str]:
    """A record with its first field broken must get a 4xx naming that field."""
    column = schema.input_columns()[0]
    status, answer = _post(f"{url}/predict", {**record, column.name: broken_value(column)})
    fields = [error.get("loc")[:1] for error in answer.get("detail", [])] if isinstance(answer, dict) else []
    if not (400 <= status < 500 and [column.name] in fields):
        return [f"a bad record got {status} {answer}, expected a 4xx naming {column.name!r}"]
    return []


def check_refusal(url: str, schema: Schema, ready_timeout_s: float = 180) -> list[str]:
    """Readiness and the 4xx alone, from the schema's example record (no expected predictions)."""
    from gitops_ml.request_models import example_record

    wait_ready(url, ready_timeout_s)
    return refusal_problems(url, example_record(schema), schema)


def write_expected(path: Path, schema: Schema, model_file: Path, requests: Path | None) -> int:
    records = json.loads(requests.read_text()) if requests else sample(schema)
    predictions = expected_predictions(records, schema, model_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"records": records, "predictions": predictions}, indent=1) + "\n")
    return len(records)


def check_file(url: str, expected_file: Path, schema: Schema, ready_timeout_s: float) -> list[str]:
    if not expected_file.exists():
        raise DeployError(f"{expected_file} missing: run `python -m gitops_ml.deploy.smoke expected` first")
    expected = json.loads(expected_file.read_text())
    return check(url.rstrip("/"), expected["records"], expected["predictions"], schema, ready_timeout_s)


@cli
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    expected_cmd = commands.add_parser("expected", help="score test records with the pipeline model")
    expected_cmd.add_argument("--model", type=Path, default=paths.MODEL)
    expected_cmd.add_argument("--requests", type=Path, help="a JSON list of records (default: sample the test split)")
    check_cmd = commands.add_parser("check", help="smoke test a running service")
    check_cmd.add_argument("--url", required=True)
    check_cmd.add_argument("--ready-timeout", type=float, default=180)
    for command in (expected_cmd, check_cmd):
        command.add_argument("--expected", type=Path, default=EXPECTED)
    args = parser.parse_args(argv)
    schema = load_schema()
    if args.command == "expected":
        count = write_expected(args.expected, schema, args.model, args.requests)
        print(f"wrote {args.expected} ({count} records and the predictions of {args.model})")
        return 0
    problems = check_file(args.url, args.expected, schema, args.ready_timeout)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    if problems:
        return 1
    print("smoke test passed: the records' predictions equal the pipeline's, bad input refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
