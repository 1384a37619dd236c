"""Serving benchmark: the BentoML service vs `mlflow models serve` vs a bare ASGI app, same model.

    .venv/bin/python benchmarks/serving.py [--seconds 10] [--soak-seconds 300] [--out build/bench]

Needs `make run` (models/, data/split/test.parquet) and `make bento` (the Bento in ./.bentoml).
Each server runs alone on loopback while a closed-loop asyncio client (httpx, keep-alive) sends
single records or 1000-record batches at concurrency 1, 8 and 32 for ``--seconds`` each, after a
warm-up. The three servers score the same fitted pipeline:

* bentoml:  `bentoml serve` of the built Bento (API + model service, adaptive batching)
* mlflow:   `mlflow models serve --env-manager local` of the pipeline saved with the train
            stage's flavor and options (cloudpickle, code_paths), predict_fn=predict_proba,
            with as many workers as the Bento has processes (2)
* asgi:     a minimal Starlette app under uvicorn (1 process) calling predict_proba on a
            DataFrame of the request's records: no validation, no logging, no batching

Then a soak: the Bento at concurrency 32 with single records for ``--soak-seconds``, counting
errors and the RSS of the whole server process tree at the start and the end.
Writes ``results.json`` and prints a markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from gitops_ml import paths  # noqa: E402
from gitops_ml.schema import load_schema  # noqa: E402
from tests.support.serving import stop_process_group, to_records  # noqa: E402

BIN = Path(sys.executable).parent
CONCURRENCY = (1, 8, 32)
BATCH_ROWS = 1000

ASGI_APP = """
import joblib, pandas as pd
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

MODEL = joblib.load({model!r})
TIMES = {times!r}
CLASSIFY = {classify!r}

async def predict(request):
    body = await request.json()
    records = body["records"] if isinstance(body, dict) and "records" in body else [body]
    frame = pd.DataFrame.from_records(records)
    for name in TIMES:
        frame[name] = pd.to_datetime(frame[name])
    if CLASSIFY:
        return JSONResponse([{{"probability": p}} for p in MODEL.predict_proba(frame)[:, 1].tolist()])
    return JSONResponse([{{"prediction": p}} for p in MODEL.predict(frame).tolist()])

routes = [Route(path, predict, methods=["POST"]) for path in ("/predict", "/predict_batch")]
app = Starlette(routes=routes)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command, cwd=cwd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_http(url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not up after {timeout} s")


def tree_rss(pid: int) -> int:
    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])


async def closed_loop(url: str, bodies: list[bytes], concurrency: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60, headers={"Content-Type": "application/json"}) as client:
        deadline = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                try:
                    response = await client.post(url, content=bodies[i % len(bodies)])
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok
                i += concurrency

        started = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        elapsed = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "errors": errors,
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
    }


def bodies_for(kind: str, server: str, records: list[dict]) -> list[bytes]:
    if kind == "single":
        chunks = [[record] for record in records]
    else:
        chunks = [records[i : i + BATCH_ROWS] for i in range(0, len(records) - BATCH_ROWS + 1, BATCH_ROWS)]
    if server == "mlflow":
        return [json.dumps({"dataframe_records": chunk}).encode() for chunk in chunks]
    if kind == "single":
        return [json.dumps(chunk[0]).encode() for chunk in chunks]
    return [json.dumps({"records": chunk}).encode() for chunk in chunks]


def run_suite(name: str, url: str, routes: dict[str, str], records: list[dict], seconds: float) -> list[dict]:
    results = []
    for kind in ("single", "batch"):
        bodies = bodies_for(kind, name, records)
        asyncio.run(closed_loop(url + routes[kind], bodies, 8, 3))  # warm-up (and the batcher's calibration)
        for concurrency in CONCURRENCY:
            result = asyncio.run(closed_loop(url + routes[kind], bodies, concurrency, seconds))
            rows = 1 if kind == "single" else BATCH_ROWS
            result.update(server=name, kind=kind, concurrency=concurrency, rows_per_s=result["requests_per_s"] * rows)
            print(json.dumps(result), flush=True)
            results.append(result)
    return results


def mlflow_model_dir(workdir: Path) -> Path:
    import joblib
    import mlflow.sklearn

    target = workdir / "mlflow-model"
    mlflow.sklearn.save_model(
        joblib.load(ROOT / paths.MODEL),
        str(target),
        serialization_format="cloudpickle",
        code_paths=[str(ROOT / "src/gitops_ml")],
        pip_requirements=[],
        pyfunc_predict_fn="predict_proba" if load_schema(ROOT / "schema.yaml").task == "classification" else "predict",
    )
    return target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--soak-seconds", type=float, default=300)
    parser.add_argument("--out", type=Path, default=ROOT / "build/bench")
    parser.add_argument("--servers", default="bentoml,mlflow,asgi")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    test = pd.read_parquet(ROOT / paths.split_file("test"))
    schema = load_schema(ROOT / "schema.yaml")
    records = to_records(test.sample(4 * BATCH_ROWS, random_state=0), schema)
    tag = (ROOT / "build/bento/tag").read_text().strip()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "BENTOML_HOME": str(ROOT / ".bentoml"),
           "OMP_NUM_THREADS": "1",
           "INFERENCE_LOG_DIR": str(args.out / "inference-logs"), "MLFLOW_DISABLE_TELEMETRY": "true"}  # fmt: skip
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    results: list[dict] = []
    soak: dict = {}
    for name in args.servers.split(","):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        routes = {"single": "/predict", "batch": "/predict_batch"}
        if name == "bentoml":
            command = [str(BIN / "bentoml"), "serve", tag, "--host", "127.0.0.1", "--port", str(port)]
            health = "/readyz"
        elif name == "mlflow":
            model = mlflow_model_dir(workdir)
            command = [str(BIN / "mlflow"), "models", "serve", "-m", str(model), "--env-manager", "local",
                       "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]  # fmt: skip
            routes = {"single": "/invocations", "batch": "/invocations"}
            health = "/ping"
        else:
            app = workdir / "baseline_app.py"
            times = [c.name for c in schema.input_columns() if c.kind == "datetime"]
            classify = schema.task == "classification"
            app.write_text(ASGI_APP.format(model=str(ROOT / paths.MODEL), times=times, classify=classify))
            command = [str(BIN / "python"), "-m", "uvicorn", "baseline_app:app", "--host", "127.0.0.1",
                       "--port", str(port), "--log-level", "warning"]  # fmt: skip
            health = None
        process = start(command, workdir, env, args.out / f"{name}.log")
        try:
            if health:
                wait_http(url + health)
            else:
                wait_http_post(url + routes["single"], bodies_for("single", name, records)[0])
            results += run_suite(name, url, routes, records, args.seconds)
            if name == "bentoml" and args.soak_seconds > 0:
                bodies = bodies_for("single", name, records)
                rss_start = tree_rss(process.pid)
                soak = asyncio.run(closed_loop(url + "/predict", bodies, 32, args.soak_seconds))
                rss_end = tree_rss(process.pid)
                soak.update(rss_start_mb=rss_start / 1e6, rss_end_mb=rss_end / 1e6, rss_growth=rss_end / rss_start - 1)
                print("soak", json.dumps(soak), flush=True)
        finally:
            stop_process_group(process)
    report = {"results": results, "soak": soak, "load_average": os.getloadavg(), "cpus": os.cpu_count()}
    (args.out / "results.json").write_text(json.dumps(report, indent=1))
    print(markdown(results, soak))


def wait_http_post(url: str, body: bytes, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.post(url, content=body, headers={"Content-Type": "application/json"}).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} not up")


def markdown(results: list[dict], soak: dict) -> str:
    lines = [
        "| payload | concurrency | server | requests/s | rows/s | p50 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['kind']} | {r['concurrency']} | {r['server']} | {r['requests_per_s']:.0f} | {r['rows_per_s']:.0f} "
            f"| {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} |"
        )
    if soak:
        lines.append(
            f"\nSoak: {soak['requests']} requests at c=32 in {soak['requests'] / soak['requests_per_s']:.0f} s, "
            f"{soak['errors']} errors, p99 {soak['p99_ms']:.1f} ms, RSS {soak['rss_start_mb']:.0f} -> "
            f"{soak['rss_end_mb']:.0f} MB ({soak['rss_growth']:+.1%})"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
