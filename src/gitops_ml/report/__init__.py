"""The pull request report: this checkout's pipeline results compared with a base revision.

    python -m gitops_ml.report --base main                 # after `dvc repro`
    python -m gitops_ml.report --base origin/main --images # link the PNG plots (for cml --publish)

Data flows one way: ``cli`` (the IO edge: git, DVC, files, environment) gathers ``inputs``; the
pure ``render`` turns them into markdown, one ``sections`` module per part of the comment, from
``deltas`` (what changed) and ``cells`` (how a number reads), on ``gitops_ml.markdown``. The
comment must read well on GitHub with no image host: tables, folds and mermaid charts. Every
section follows the task (classification or regression); names, units and directions come from
``metric_catalogue``.
"""
