"""PNG renderings of the evaluation plots, for reports and the workflow artifact.

The same data is declared under ``plots:`` in dvc.yaml for ``dvc plots show/diff``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: CI runners and servers have no display
import matplotlib.pyplot as plt

from gitops_ml.io import write_with


def _save(figure, path: Path) -> None:
    figure.tight_layout()
    write_with(path, lambda tmp: figure.savefig(tmp, format="png", dpi=100))
    plt.close(figure)


def _line(points: list[dict], x: str, y: str, title: str, diagonal: bool, path: Path) -> None:
    figure, axis = plt.subplots(figsize=(4.5, 4))
    axis.plot([p[x] for p in points], [p[y] for p in points], marker="." if len(points) < 30 else None)
    if diagonal:
        axis.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    axis.set(xlabel=x, ylabel=y, title=title, xlim=(0, 1), ylim=(0, 1))
    _save(figure, path)


def render_all(data: dict[str, list[dict]], directory: Path) -> None:
    _line(data["roc"], "fpr", "tpr", "ROC curve", True, directory / "roc.png")
    _line(
        data["precision_recall"],
        "recall",
        "precision",
        "Precision-recall curve",
        False,
        directory / "precision_recall.png",
    )
    _line(data["calibration"], "mean_predicted", "fraction_delayed", "Calibration", True, directory / "calibration.png")

    counts = {(c["actual"], c["predicted"]): c["count"] for c in data["confusion"]}
    figure, axis = plt.subplots(figsize=(4, 3.5))
    grid = [[counts[(a, p)] for p in (0, 1)] for a in (0, 1)]
    axis.imshow(grid, cmap="Blues")
    for a in (0, 1):
        for p in (0, 1):
            axis.text(p, a, f"{grid[a][p]:,}", ha="center", va="center")
    axis.set(xticks=[0, 1], yticks=[0, 1], xlabel="predicted", ylabel="actual", title="Confusion matrix")
    _save(figure, directory / "confusion.png")

    importance = data["feature_importance"][::-1]
    figure, axis = plt.subplots(figsize=(5, 0.3 * len(importance) + 1))
    axis.barh([i["feature"] for i in importance], [i["importance"] for i in importance])
    axis.set(xlabel="drop in ROC AUC when shuffled", title="Permutation importance")
    _save(figure, directory / "feature_importance.png")
