import sys

from gitops_ml.report.cli import main

sys.exit(main())
