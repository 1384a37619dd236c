"""Serving benchmark: the BentoML service vs `mlflow models serve` vs a bare ASGI app, same model.

    .venv/bin/python benchmarks/serving.py [--seconds 10] [--soak-seconds 300] [--overload-seconds 60]
        [--profile-seconds 20] [--out build/bench]

Needs `make run` (models/, data/split/test.parquet) and `make bento` (the Bento in ./.bentoml).
First, in this process: one row and 1000-row batches scored by the pipeline as fitted (a
DataFrame, what the service ran before) and by the service's path (scoring.predictor on
column-wise values). Then each server runs alone on loopback while a closed-loop asyncio client
(aiohttp, keep-alive) sends single records, 1000-record batches (``{"records": [...]}``) and, where
the server has a columnar format, the same batches column by column, at concurrency 1, 8 and 32
for ``--seconds`` each, after a warm-up. The three servers score the same fitted pipeline:

* bentoml:  `bentoml serve` of the built Bento (validation, inference log, adaptive batching;
            columns: /predict_columns)
* mlflow:   `mlflow models serve --env-manager local` of the pipeline saved with the train
            stage's flavor and options (cloudpickle, code_paths), predict_fn=predict_proba,
            with as many workers as the Bento has processes (2); columns: ``dataframe_split``
* asgi:     a minimal Starlette app under uvicorn (1 process) calling predict_proba on a
            DataFrame of the request's records: no validation, no logging, no batching
* floor:    single records only, `bentoml serve` of a service whose endpoint does nothing (no
            model, no validation, no log): what BentoML's own stack costs per request
* bare:     the same do-nothing endpoint on uvicorn and Starlette alone, 2 workers (not in the
            default list; `--servers floor,bare`): what HTTP itself costs on this machine

Each load also measures CPU per request: the client's own, and the server's whole process tree
(``psutil``), which is less noisy than throughput on a shared machine.

Then profiles: single records, then 1000-record batches, each at concurrency 1 for
``--profile-seconds`` while py-spy samples the Bento's processes: CPU time per request by part
(``PROFILE_PARTS``). Then a soak: the Bento at
concurrency 32 with single records for ``--soak-seconds``, counting
errors and the RSS of the whole server process tree at the start and the end; then an overload:
concurrency 128 for ``--overload-seconds``, counting answers by status (503 = shed), and one
request after it (recovered?).
Writes ``results.json`` and prints a markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import os

# One OpenMP thread per process, as the servers run (bentofile.yaml envs, and `env` below), also
# for the in-process timings: set before numpy and scikit-learn load their runtimes.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import httpx
import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from gitops_ml import paths  # noqa: E402
from gitops_ml.schema import load_schema  # noqa: E402
from tests.support.serving import free_port, stop_process_group, to_records  # noqa: E402

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

# The same do-nothing endpoint on uvicorn and Starlette alone (2 workers): what HTTP itself costs here.
BARE_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def predict(request):
    await request.json()
    return JSONResponse({"probability": 0.5, "model_version": "none"})

app = Starlette(routes=[Route("/predict", predict, methods=["POST"])])
"""

# BentoML's own cost per request: the service's stack (uvicorn, starlette, BentoML's tracing, metrics,
# access log and API layer, as many workers) around an endpoint that does nothing.
FLOOR_SERVICE = """
import bentoml
from pydantic import BaseModel, ConfigDict


class AnyRecord(BaseModel):
    model_config = ConfigDict(extra="allow")


class Answer(BaseModel):
    probability: float
    model_version: str


@bentoml.service(name="floor", workers="cpu_count")
class Floor:
    @bentoml.api(route="/predict")
    async def predict(self, record: AnyRecord, /) -> Answer:
        return Answer(probability=0.5, model_version="none")
"""


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


def cpu_seconds(pid: int) -> dict[int, float]:
    """User + system CPU time of each process in a server's tree, by pid."""
    processes = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return {p.pid: times.user + times.system for p in processes for times in [p.cpu_times()]}


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> tuple[float, float]:
    """CPU seconds spent between two readings, and the busiest process's share of it (with two
    workers, ~0.5 when the connections were spread evenly, 1.0 when one worker had them all)."""
    spent = [after[pid] - before.get(pid, 0.0) for pid in after]
    total = sum(spent)
    return total, max(spent) / total if total else 0.0


async def closed_loop(
    url: str, bodies: list[bytes], concurrency: int, seconds: float, server: int | None = None
) -> dict:
    """``concurrency`` clients on keep-alive connections, each sending its next body when answered.

    aiohttp rather than httpx: the client shares the two cores with the server, and httpx costs
    ~3 ms of CPU per request against aiohttp's ~0.9 (measured), which the server would lose.
    With ``server`` (a pid), also the CPU time the server's processes spent per request."""
    latencies: list[float] = []
    errors = 0
    statuses: Counter[str] = Counter()
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers) as client:
        deadline = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                try:
                    async with client.post(url, data=bodies[i % len(bodies)]) as response:
                        await response.read()
                    ok = response.status == 200
                    statuses[str(response.status)] += 1
                except (aiohttp.ClientError, TimeoutError) as error:
                    ok = False
                    statuses[type(error).__name__] += 1
                latencies.append(time.perf_counter() - start)
                errors += not ok
                i += concurrency

        client_start, server_start = time.process_time(), cpu_seconds(server) if server else {}
        started = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - client_start
        server_cpu, busiest = cpu_spent(server_start, cpu_seconds(server)) if server else (None, None)
    ms = np.array(latencies) * 1000
    requests = max(len(latencies), 1)
    return {
        "requests": len(latencies),
        "errors": errors,
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "statuses": dict(statuses),
        "client_cpu_ms": client_cpu * 1000 / requests,
        "server_cpu_ms": None if server_cpu is None else server_cpu * 1000 / requests,
        "busiest_process_cpu_share": busiest,
    }


# Where a single record's CPU time goes in the service, by the innermost frame that names a part
# (first match wins; py-spy's raw frames read "function (path:line)").
PROFILED = {"single": "single records", "batch": "1000-record batches"}  # payloads profiled, as named in the report
PROFILE_PARTS = {
    "model (features, compiled trees)": ("gitops_ml/array_pipeline.py", "gitops_ml/compiled_trees.py", "tl2cgen/"),
    "inference log": ("gitops_ml/monitor.py", "gitops_ml/inference_log.py", "bentoml/_internal/monitoring"),
    "request model (pydantic)": ("pydantic", "gitops_ml/request_models.py"),
    "batcher (CorkDispatcher)": ("bentoml/_internal/marshal/dispatcher.py",),
    "JSON": ("json/", "orjson"),
    "threads (anyio to_thread)": ("anyio/to_thread.py", "threading.py"),
    "BentoML service layer": ("_bentoml_impl/", "_bentoml_sdk/", "bentoml/"),
    "HTTP: uvicorn, starlette": ("uvicorn/", "starlette/", "h11/", "httptools"),
    "event loop": ("asyncio/", "selectors.py", "uvloop"),
}


def profile(url: str, pid: int, bodies: list[bytes], seconds: float, raw: Path) -> dict:
    """CPU time per request by part: py-spy samples every process of the server (100 Hz, idle
    time excluded; Python threads only, so the kernel's share of a request is not in it) while
    one client sends requests back to back. The samples go to ``raw`` (py-spy's raw format)."""
    import shutil

    spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if spy is None:
        return {}
    command = [spy, "record", "--pid", str(pid), "--subprocesses", "--rate", "100", "--format", "raw",
               "--duration", str(int(seconds)), "--output", str(raw), "--nonblocking"]  # fmt: skip
    sampler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)  # py-spy attaches to each process first
    load = asyncio.run(closed_loop(url, bodies, 1, seconds - 2))
    sampler.wait(timeout=seconds + 60)
    parts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        part = next(
            (
                name
                for frame in reversed(frames)
                for name, marks in PROFILE_PARTS.items()
                if any(m in frame for m in marks)
            ),
            "other",
        )
        parts[part] += int(count)
    cpu_ms = {part: samples * 10 / load["requests"] for part, samples in parts.most_common()}  # 100 Hz: 10 ms each
    return {"requests": load["requests"], "p50_ms": load["p50_ms"], "cpu_ms_per_request": cpu_ms}


def as_columns(chunk: list[dict]) -> dict[str, list]:
    return {name: [record[name] for record in chunk] for name in chunk[0]}


def bodies_for(kind: str, server: str, records: list[dict]) -> list[bytes]:
    if kind == "single":
        chunks = [[record] for record in records]
    else:
        chunks = [records[i : i + BATCH_ROWS] for i in range(0, len(records) - BATCH_ROWS + 1, BATCH_ROWS)]
    if server == "mlflow" and kind == "columns":
        split = [{"columns": list(chunk[0]), "data": [list(record.values()) for record in chunk]} for chunk in chunks]
        return [json.dumps({"dataframe_split": body}).encode() for body in split]
    if server == "mlflow":
        return [json.dumps({"dataframe_records": chunk}).encode() for chunk in chunks]
    if kind == "single":
        return [json.dumps(chunk[0]).encode() for chunk in chunks]
    if kind == "columns":
        return [json.dumps({"columns": as_columns(chunk)}).encode() for chunk in chunks]
    return [json.dumps({"records": chunk}).encode() for chunk in chunks]


def in_process(frame: pd.DataFrame, repeats: int = 300) -> list[dict]:
    """One row and 1000-row batches: the pipeline as fitted on a DataFrame vs the served path."""
    import joblib

    from gitops_ml import compiled_trees
    from gitops_ml.model import predict
    from gitops_ml.scoring import call_seconds, column_values, predictor

    schema = load_schema(ROOT / "schema.yaml")
    model = joblib.load(ROOT / paths.MODEL)
    inputs = frame[schema.input_names()]
    trees = compiled_trees.load(ROOT / paths.COMPILED, ROOT / paths.MODEL)
    columns = lambda rows: column_values(rows, schema)  # noqa: E731
    paths_under_test = {
        "pipeline (DataFrame)": (lambda rows: predict(model, rows, schema.task), lambda rows: rows),
        "numpy, trees walked by Treelite/scikit-learn": (predictor(model, schema), columns),
    }
    if trees is not None:
        paths_under_test["served: numpy, compiled trees"] = (predictor(model, schema, trees), columns)
    results = []
    for name, (score, shape) in paths_under_test.items():
        row, batch = shape(inputs.head(1)), shape(inputs.head(BATCH_ROWS))
        for _ in range(20):
            score(row)
        single = call_seconds(lambda: score(row), repeats)  # noqa: B023 (called here, within the loop)
        batches = call_seconds(lambda: score(batch), 20)  # noqa: B023 (called here, within the loop)
        result = {
            "path": name,
            "single_p50_ms": float(np.percentile(single, 50)) * 1000,
            "single_p99_ms": float(np.percentile(single, 99)) * 1000,
            "batch_rows_per_s": BATCH_ROWS / float(np.median(batches)),
        }
        print(json.dumps(result), flush=True)
        results.append(result)
    return results


def run_suite(name: str, url: str, routes: dict[str, str], records: list[dict], seconds: float, pid: int) -> list[dict]:
    results = []
    for kind in routes:
        bodies = bodies_for(kind, name, records)
        asyncio.run(closed_loop(url + routes[kind], bodies, 8, 3))  # warm-up (and the batcher's calibration)
        for concurrency in CONCURRENCY:
            result = asyncio.run(closed_loop(url + routes[kind], bodies, concurrency, seconds, server=pid))
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
    parser.add_argument("--overload-seconds", type=float, default=60)
    parser.add_argument("--profile-seconds", type=float, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "build/bench")
    parser.add_argument("--servers", default="bentoml,floor,mlflow,asgi")
    args = parser.parse_args()
    # Absolute: `bentoml serve TAG` runs in the Bento's own directory, where a relative log
    # directory would fill the Bento in the store (and the image built from it) with inference logs.
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    test = pd.read_parquet(ROOT / paths.split_file("test"))
    schema = load_schema(ROOT / "schema.yaml")
    sampled = test.sample(4 * BATCH_ROWS, random_state=0)
    records = to_records(sampled, schema)
    inprocess = in_process(sampled)
    tag = (ROOT / "build/bento/tag").read_text().strip()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "BENTOML_HOME": str(ROOT / ".bentoml"),
           "OMP_NUM_THREADS": "1",
           "INFERENCE_LOG_DIR": str(args.out / "inference-logs"), "MLFLOW_DISABLE_TELEMETRY": "true"}  # fmt: skip
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    results: list[dict] = []
    soak: dict = {}
    overload: dict = {}
    profiled: dict = {}
    for name in [name for name in args.servers.split(",") if name]:  # --servers "": in-process only
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        routes = {"single": "/predict", "batch": "/predict_batch"}
        if name == "bentoml":
            routes["columns"] = "/predict_columns"
            command = [str(BIN / "bentoml"), "serve", tag, "--host", "127.0.0.1", "--port", str(port)]
            health = "/readyz"
        elif name == "mlflow":
            model = mlflow_model_dir(workdir)
            command = [str(BIN / "mlflow"), "models", "serve", "-m", str(model), "--env-manager", "local",
                       "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]  # fmt: skip
            routes = {"single": "/invocations", "batch": "/invocations", "columns": "/invocations"}
            health = "/ping"
        elif name == "floor":
            (workdir / "floor_service.py").write_text(FLOOR_SERVICE)
            command = [str(BIN / "bentoml"), "serve", "floor_service:Floor", "--host", "127.0.0.1", "--port", str(port)]
            routes = {"single": "/predict"}
            health = "/readyz"
        elif name == "bare":
            (workdir / "bare_app.py").write_text(BARE_APP)
            command = [str(BIN / "python"), "-m", "uvicorn", "bare_app:app", "--host", "127.0.0.1",
                       "--port", str(port), "--workers", "2", "--log-level", "warning"]  # fmt: skip
            routes = {"single": "/predict"}
            health = None
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
            results += run_suite(name, url, routes, records, args.seconds, process.pid)
            for kind in PROFILED if name == "bentoml" and args.profile_seconds > 0 else ():
                profiled[kind] = profile(url + routes[kind], process.pid, bodies_for(kind, name, records),
                                         args.profile_seconds, args.out / f"profile-{kind}.txt")  # fmt: skip
                print("profile", kind, json.dumps(profiled[kind]), flush=True)
            if name == "bentoml" and args.soak_seconds > 0:
                bodies = bodies_for("single", name, records)
                rss_start = tree_rss(process.pid)
                soak = asyncio.run(closed_loop(url + "/predict", bodies, 32, args.soak_seconds))
                rss_end = tree_rss(process.pid)
                soak.update(rss_start_mb=rss_start / 1e6, rss_end_mb=rss_end / 1e6, rss_growth=rss_end / rss_start - 1)
                print("soak", json.dumps(soak), flush=True)
            if name == "bentoml" and args.overload_seconds > 0:
                bodies = bodies_for("single", name, records)
                overload = asyncio.run(closed_loop(url + "/predict", bodies, 128, args.overload_seconds))
                after = httpx.post(url + "/predict", content=bodies[0], headers={"Content-Type": "application/json"})
                overload["status_after"] = after.status_code
                print("overload", json.dumps(overload), flush=True)
        finally:
            stop_process_group(process)
    report = {
        "in_process": inprocess,
        "results": results,
        "soak": soak,
        "overload": overload,
        "profile": profiled,
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    (args.out / "results.json").write_text(json.dumps(report, indent=1))
    print(markdown(inprocess, results, soak, overload, profiled))


def wait_http_post(url: str, body: bytes, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.post(url, content=body, headers={"Content-Type": "application/json"}).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} not up")


def markdown(inprocess: list[dict], results: list[dict], soak: dict, overload: dict, profiled: dict) -> str:
    lines = ["| in-process path | one row p50 ms | one row p99 ms | 1000-row batch rows/s |", "|---|---|---|---|"]
    lines += [
        f"| {r['path']} | {r['single_p50_ms']:.3f} | {r['single_p99_ms']:.3f} | {r['batch_rows_per_s']:.0f} |"
        for r in inprocess
    ]
    lines += [
        "",
        "| payload | concurrency | server | requests/s | rows/s | p50 ms | p99 ms | errors | server CPU ms/req "
        "| busiest process's CPU share | client CPU ms/req |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['kind']} | {r['concurrency']} | {r['server']} | {r['requests_per_s']:.0f} | {r['rows_per_s']:.0f} "
            f"| {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} | {r['server_cpu_ms']:.2f} "
            f"| {r['busiest_process_cpu_share']:.2f} | {r['client_cpu_ms']:.2f} |"
        )
    if soak:
        lines.append(
            f"\nSoak: {soak['requests']} requests at c=32 in {soak['requests'] / soak['requests_per_s']:.0f} s, "
            f"{soak['errors']} errors, p99 {soak['p99_ms']:.1f} ms, RSS {soak['rss_start_mb']:.0f} -> "
            f"{soak['rss_end_mb']:.0f} MB ({soak['rss_growth']:+.1%})"
        )
    if overload:
        lines.append(
            f"\nOverload: {overload['requests']} requests at c=128 in "
            f"{overload['requests'] / overload['requests_per_s']:.0f} s, answers by status {overload['statuses']}, "
            f"p99 {overload['p99_ms']:.1f} ms; the next request answered {overload['status_after']}"
        )
    for kind, parts in profiled.items():
        total = sum(parts["cpu_ms_per_request"].values())
        lines += [
            f"\nProfile of {PROFILED[kind]} at c=1 ({parts['requests']} requests, p50 {parts['p50_ms']:.2f} ms; "
            f"CPU {total:.2f} ms per request in the server's Python threads):\n",
            "| part | CPU ms per request | share |",
            "|---|---|---|",
        ]
        lines += [f"| {part} | {ms:.3f} | {ms / total:.0%} |" for part, ms in parts["cpu_ms_per_request"].items()]
    floor = {r["concurrency"]: r for r in results if r["server"] == "floor"}
    ours = {r["concurrency"]: r for r in results if r["server"] == "bentoml" and r["kind"] == "single"}
    if floor and ours:
        lines += ["", "| single records: the service vs BentoML's floor | c=1 | c=8 | c=32 |", "|---|---|---|---|"]
        for label, key in (("requests/s", "requests_per_s"), ("server CPU ms per request", "server_cpu_ms")):
            ratios = [f"{ours[c][key] / floor[c][key]:.2f}x" if c in ours and c in floor else "" for c in CONCURRENCY]
            lines.append(f"| {label} | {' | '.join(ratios)} |")
    # Throughput at each concurrency, and server CPU per request (what the same two cores could
    # serve, whichever worker the connections landed on: see busiest_process_cpu_share).
    lines += [
        "",
        "| the service / mlflow | requests/s c=1 | c=8 | c=32 | server CPU per request c=8 (mlflow's / ours) |",
        "|---|---|---|---|---|",
    ]
    by_load = {(r["server"], r["kind"], r["concurrency"]): r for r in results}
    for kind in ("single", "batch", "columns"):
        if ("bentoml", kind, 8) in by_load and ("mlflow", kind, 8) in by_load:
            speed = [by_load[("bentoml", kind, c)]["requests_per_s"] / by_load[("mlflow", kind, c)]["requests_per_s"]
                     for c in CONCURRENCY]  # fmt: skip
            ratios = [f"{ratio:.2f}x" for ratio in speed]
            cpu = by_load[("mlflow", kind, 8)]["server_cpu_ms"] / by_load[("bentoml", kind, 8)]["server_cpu_ms"]
            lines.append(f"| {kind} | {' | '.join(ratios)} | {cpu:.2f}x |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
