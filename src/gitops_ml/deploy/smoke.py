"""Smoke test a running service before anything is published (and after a cluster rollout).

    python -m gitops_ml.deploy.smoke sample                   # (re)write deploy/smoke/requests.json
    python -m gitops_ml.deploy.smoke expected                 # pipeline model -> build/smoke/expected.json
    python -m gitops_ml.deploy.smoke check --url http://127.0.0.1:3000

``requests.json`` holds a few committed records from the test window. ``expected`` scores them
with the pipeline's model file (``models/model.joblib``) on a DataFrame read straight from the
JSON, the way a user would load them, not through the service's code. ``check`` waits for
``/readyz``, sends the records (one batch, and each one alone) and requires the service's
probabilities to equal the expected ones exactly, and a bad record to get a 4xx naming the field.
Exit 1 with the differences when anything is off.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from gitops_ml import paths, schema
from gitops_ml.deploy import DeployError, cli

REQUESTS = Path("deploy/smoke/requests.json")
EXPECTED = Path("build/smoke/expected.json")
SAMPLE_ROWS = 24


def sample(rows: int = SAMPLE_ROWS, seed: int = 0) -> list[dict[str, Any]]:
    """Records from the test window, with missing weather readings among them (sent as null)."""
    import pandas as pd

    frame = pd.read_parquet(paths.split_file("test"))
    with_nulls = frame[frame[[c.name for c in schema.input_columns() if c.nullable]].isna().any(axis=1)]
    picked = pd.concat(
        [with_nulls.sample(rows // 4, random_state=seed), frame.sample(rows - rows // 4, random_state=seed)]
    )
    records = json.loads(picked[[c.name for c in schema.input_columns()]].to_json(orient="records", date_format="iso"))
    for record in records:  # pandas writes 2013-07-01T05:00:00.000: keep what users send
        record[schema.TIMESTAMP] = record[schema.TIMESTAMP].removesuffix(".000")
    return records


def expected_probabilities(records: list[dict[str, Any]], model_file: Path = paths.MODEL) -> list[float]:
    import joblib
    import pandas as pd

    frame = pd.DataFrame.from_records(records, columns=[c.name for c in schema.input_columns()])
    frame[schema.TIMESTAMP] = pd.to_datetime(frame[schema.TIMESTAMP])
    return joblib.load(model_file).predict_proba(frame)[:, 1].tolist()


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


def check(url: str, records: list[dict[str, Any]], expected: list[float], ready_timeout_s: float = 180) -> list[str]:
    """Problems found (empty when the service is fit to publish)."""
    problems = []
    seconds = wait_ready(url, ready_timeout_s)
    print(f"ready after {seconds:.1f} s")
    status, answer = _post(f"{url}/predict_batch", {"records": records})
    if status != 200:
        return [f"/predict_batch answered {status}: {answer}"]
    served = [prediction["probability"] for prediction in answer]
    problems += [
        f"record {i}: service {got!r} != pipeline {want!r}"
        for i, (got, want) in enumerate(zip(served, expected, strict=True))
        if got != want
    ]
    for i, record in enumerate(records):
        status, answer = _post(f"{url}/predict", record)
        if status != 200 or answer["probability"] != expected[i]:
            problems.append(f"/predict record {i}: {status} {answer} (pipeline {expected[i]!r})")
    bad = {**records[0], "carrier": "??"}
    status, answer = _post(f"{url}/predict", bad)
    fields = [error.get("loc") for error in answer.get("detail", [])] if isinstance(answer, dict) else []
    if not (400 <= status < 500 and ["carrier"] in fields):
        problems.append(f"a bad record got {status} {answer}, expected a 4xx naming 'carrier'")
    return problems


@cli
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("sample", help=f"write {REQUESTS} from the test split")
    expected_cmd = commands.add_parser("expected", help=f"score {REQUESTS} with the pipeline model")
    expected_cmd.add_argument("--model", type=Path, default=paths.MODEL)
    check_cmd = commands.add_parser("check", help="smoke test a running service")
    check_cmd.add_argument("--url", required=True)
    check_cmd.add_argument("--ready-timeout", type=float, default=180)
    for command in (expected_cmd, check_cmd):
        command.add_argument("--requests", type=Path, default=REQUESTS)
        command.add_argument("--expected", type=Path, default=EXPECTED)
    args = parser.parse_args(argv)
    if args.command == "sample":
        REQUESTS.parent.mkdir(parents=True, exist_ok=True)
        REQUESTS.write_text(json.dumps(sample(), indent=1) + "\n")
        print(f"wrote {REQUESTS}")
    elif args.command == "expected":
        probabilities = expected_probabilities(json.loads(args.requests.read_text()), args.model)
        args.expected.parent.mkdir(parents=True, exist_ok=True)
        args.expected.write_text(json.dumps(probabilities) + "\n")
        print(f"wrote {args.expected} ({len(probabilities)} predictions of {args.model})")
    else:
        records = json.loads(args.requests.read_text())
        problems = check(args.url.rstrip("/"), records, json.loads(args.expected.read_text()), args.ready_timeout)
        for problem in problems:
            print(f"FAIL {problem}", file=sys.stderr)
        if problems:
            return 1
        print(f"smoke test passed: {len(records)} records equal the pipeline's, bad input refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
