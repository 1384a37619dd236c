"""Replay held-out records against a running service, so it writes real inference logs.

    make serve                      # in one terminal: the service on http://127.0.0.1:3000
    make replay                     # in another: send the production part's records
    make drift SOURCE=logs          # the drift check on what the service logged

Records are the schema's input fields of the chosen source (default: the split stage's production
part, a later period when the split is by time), sent in batches to ``/predict_batch`` (in time
order when the schema has a timestamp) with a progress bar. Refused batches are counted and the
first refusal shown.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import httpx
import pandas as pd
from tqdm import tqdm

from gitops_ml.config import ConfigError, load_params
from gitops_ml.drift import DriftInputError, sources
from gitops_ml.schema import Schema, SchemaError, load_schema

DEFAULT_URL = "http://127.0.0.1:3000"


def to_records(frame: pd.DataFrame, schema: Schema) -> list[dict]:
    """JSON-ready request records: input fields only, ISO times, missing values as null."""
    records = []
    columns = schema.input_columns()
    for row in frame[[column.name for column in columns]].itertuples(index=False):
        record: dict[str, object] = {}
        for column, value in zip(columns, row, strict=True):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                record[column.name] = None
            elif column.kind == "datetime":
                record[column.name] = pd.Timestamp(value).isoformat()
            elif column.kind == "int":
                record[column.name] = int(value)
            elif column.kind == "float":
                record[column.name] = float(value)
            else:
                record[column.name] = str(value)
        records.append(record)
    return records


def wait_until_ready(client: httpx.Client, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if client.get("/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise DriftInputError(
                f"the service at {client.base_url} is not ready after {timeout:.0f} s (`make serve`?)"
            )
        time.sleep(0.5)


def replay(client: httpx.Client, records: list[dict], batch_size: int, progress: bool = True) -> dict:
    sent = accepted = 0
    first_refusal = None
    with tqdm(total=len(records), unit="rec", desc="replay", disable=not progress) as bar:
        for start in range(0, len(records), batch_size):
            batch = records[start : start + batch_size]
            response = client.post("/predict_batch", json={"records": batch})
            sent += len(batch)
            if response.status_code == 200:
                accepted += len(batch)
            elif first_refusal is None:
                first_refusal = f"HTTP {response.status_code}: {response.text[:500]}"
            bar.update(len(batch))
    return {"sent": sent, "accepted": accepted, "refused": sent - accepted, "first_refusal": first_refusal}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gitops_ml.drift.replay", description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL, help="the service (default: %(default)s)")
    parser.add_argument("--source", default="production", help="production | a parquet/CSV path or URL")
    parser.add_argument("--rows", type=int, default=5000, help="how many records to send (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=250, help="records per request (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="which rows (a seeded sample)")
    parser.add_argument("--wait", type=float, default=60, help="seconds to wait for /readyz")
    args = parser.parse_args(argv)

    try:
        params, schema = load_params(), load_schema()
        table = sources.read_current(params.drift, params.project.identifier, args.source)
        frame = table.frame.sample(n=min(args.rows, len(table.frame)), random_state=args.seed)
        if schema.timestamp:
            frame = frame.sort_values(schema.timestamp)  # traffic arrives in time order
        records = to_records(frame, schema)
        with httpx.Client(base_url=args.url, timeout=60) as client:
            wait_until_ready(client, args.wait)
            result = replay(client, records, args.batch_size, progress=True)
    except (ConfigError, SchemaError, DriftInputError, KeyError) as error:
        print(f"replay: {error}", file=sys.stderr)
        return 2
    except httpx.HTTPError as error:
        print(f"replay: {args.url}: {error}", file=sys.stderr)
        return 2
    print(f"replay: {result['accepted']} of {result['sent']} records scored from {table.description}")
    if result["refused"]:
        print(f"replay: {result['refused']} refused; first: {result['first_refusal']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
