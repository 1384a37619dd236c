"""The scheduled drift check: is production data still like the data the model learned from?

IO sits at the edges, decisions in the middle:

- ``sources``   reads the reference window and the current data (production window, the service's
                ``bentoml.monitor`` inference logs, or any parquet/CSV path or fsspec URL);
- ``prepare``   conforms a table to ``schema.py`` (pure: missing/extra columns, dtypes, unseen
                categories, all-null columns) and samples large tables;
- ``engine``    runs Evidently's ``DataDriftPreset`` (+ ``ValueDrift`` on the predictions) and
                turns its snapshot into plain per-column results;
- ``decision``  decides from those results (pure: summary dict in, decision out) and renders markdown;
- ``issue``     keeps one GitHub issue labelled ``drift`` in step with the decision;
- ``__main__``  the CLI, ``python -m gitops_ml.drift`` (``make drift``).
"""


class DriftInputError(ValueError):
    """The check cannot run on this input; the message says what is wrong and where."""
