"""Presentation: how results are shown, with no domain logic. Each module reads the KPI catalogue
(:mod:`caseflow.metrics.catalogue`) for labels, units, sections, benchmarks and formats.

- :mod:`caseflow.present.text`: plain-text tables for the command line;
- :mod:`caseflow.present.report`: the report folder of a run (CSV, Markdown, JSON, workbook, charts);
- :mod:`caseflow.present.excel`: the Excel workbook for finance officers;
- :mod:`caseflow.present.charts`: matplotlib charts;
- :mod:`caseflow.files`: writing files atomically.

Import the module you need (``from caseflow.present import charts``); this package imports none of
them, so the command line does not load matplotlib before it needs it.
"""
