"""The one declaration of the data: column names, types, allowed values and roles.

Everything else is derived from ``COLUMNS``: the validation rules (``validation.py``), the
model's numeric/categorical inputs (``features.py``), the service's request model and the
columns the drift check compares. To use your own data, rewrite this file and ``stages/ingest.py``.

Units are the source's: miles, degrees Fahrenheit, miles per hour, inches, millibars.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["datetime", "category", "float", "int"]
Role = Literal["input", "key", "target"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    description: str
    role: Role = "input"
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str | int, ...] | None = None
    pattern: str | None = None  # regular expression every value must match in full
    max_null_fraction: float = 0.0  # 0 means the column may not contain nulls
    drift: bool = True  # compared by the drift check (inputs only)

    @property
    def nullable(self) -> bool:
        return self.max_null_fraction > 0


CARRIERS = ("9E", "AA", "AS", "B6", "DL", "EV", "F9", "FL", "HA", "MQ", "OO", "UA", "US", "VX", "WN", "YV")
ORIGINS = ("EWR", "JFK", "LGA")

COLUMNS: tuple[Column, ...] = (
    Column("scheduled_departure", "datetime", "Scheduled local departure time.", drift=False),
    Column("carrier", "category", "Two-letter airline code.", categories=CARRIERS),
    Column("flight_number", "int", "Flight number.", role="key", minimum=1, maximum=9999),
    Column("origin", "category", "New York airport the flight leaves from.", categories=ORIGINS),
    Column("dest", "category", "Destination airport (IATA code).", pattern=r"[A-Z]{3}"),
    Column("distance", "float", "Great-circle distance between the airports (miles).", minimum=1, maximum=6000),
    # Weather at the origin airport in the scheduled hour. A few hours have no observation,
    # and some sensors report only part of the time, hence the null allowances.
    Column("temp", "float", "Temperature (F).", minimum=-40, maximum=130, max_null_fraction=0.02),
    Column("dewp", "float", "Dew point (F).", minimum=-60, maximum=100, max_null_fraction=0.02),
    Column("humid", "float", "Relative humidity (%).", minimum=0, maximum=100, max_null_fraction=0.02),
    Column("wind_dir", "float", "Wind direction (degrees).", minimum=0, maximum=360, max_null_fraction=0.1),
    Column("wind_speed", "float", "Wind speed (mph).", minimum=0, maximum=150, max_null_fraction=0.02),
    Column("wind_gust", "float", "Wind gust speed (mph).", minimum=0, maximum=200, max_null_fraction=0.9),
    Column("precip", "float", "Precipitation (inches).", minimum=0, maximum=10, max_null_fraction=0.02),
    Column("pressure", "float", "Sea level pressure (millibars).", minimum=900, maximum=1100, max_null_fraction=0.25),
    Column("visib", "float", "Visibility (miles).", minimum=0, maximum=10, max_null_fraction=0.02),
    Column("delayed", "int", "1 if departure was over the threshold late.", role="target", categories=(0, 1)),
)

# A row is one scheduled departure.
KEY = ("scheduled_departure", "carrier", "flight_number", "origin")
TARGET = "delayed"
TIMESTAMP = "scheduled_departure"

# Known after departure: a model that sees them would be useless in production. Named here so
# validation can say *why* such a column must not reach training.
LEAKAGE_COLUMNS = ("dep_time", "dep_delay", "arr_time", "arr_delay", "air_time")


def by_name() -> dict[str, Column]:
    return {column.name: column for column in COLUMNS}


def input_columns() -> tuple[Column, ...]:
    """What a caller must provide for one prediction (the service's request fields)."""
    return tuple(column for column in COLUMNS if column.role == "input")


def drift_columns() -> tuple[Column, ...]:
    return tuple(column for column in input_columns() if column.drift)
