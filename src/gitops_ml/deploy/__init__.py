"""Getting a trained model into production: BentoML store and Bento, smoke test, GitOps manifests,
MLflow registry. Each module is a small CLI (``python -m gitops_ml.deploy.<module>``) that the
Makefile and the deploy workflow call; none of it is imported by the service itself."""


class DeployError(RuntimeError):
    """A deploy step refused to continue; the message says what is wrong and what to do."""
