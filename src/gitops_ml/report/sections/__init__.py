"""The report's sections: each renders one part of the comment from ``ReportInputs``."""
