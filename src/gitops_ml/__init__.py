"""GitOps CI/CD template for machine learning.

Importing the package switches off the usage telemetry of the tools it drives (DVC, MLflow,
BentoML, Evidently, CML), unless the user has set those variables: the template must work on a
machine with no route to the vendors, and the calls also slow every run down.
"""

import os

TELEMETRY_OFF = {
    "DVC_NO_ANALYTICS": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "BENTOML_DO_NOT_TRACK": "true",
    "DO_NOT_TRACK": "1",
    "ITERATIVE_DO_NOT_TRACK": "1",
}
for _name, _value in TELEMETRY_OFF.items():
    os.environ.setdefault(_name, _value)
