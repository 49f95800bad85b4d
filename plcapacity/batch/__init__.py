"""Batch: a table of services in, a table of sizing and availability results out.

- :mod:`~plcapacity.batch.scenarios` — the scenario table's columns (:func:`columns_table`),
  reading and checking it row by row (:func:`read_scenarios`);
- :mod:`~plcapacity.batch.run` — :func:`run_batch` on local cores or a Dask cluster,
  :func:`batch_overview`, :func:`write_results`;
- :mod:`~plcapacity.batch.checkpoint` — resumable runs;
- :mod:`~plcapacity.batch.report` — the self-contained HTML report of a run
  (:func:`batch_report`, :func:`write_report`, :func:`limits_at_risk`), built with
  :mod:`plcapacity.report`.

Depends on every family below it; never on :mod:`plcapacity.estate`.
"""

from plcapacity.base.exceptions import BatchInputError
from plcapacity.batch.report import batch_report, limits_at_risk, write_report
from plcapacity.batch.run import batch_overview, run_batch, write_results
from plcapacity.batch.scenarios import COLUMNS, RESULT_COLUMNS, columns_table, read_scenarios

__all__ = ["run_batch", "batch_overview", "write_results", "read_scenarios", "columns_table",
           "COLUMNS", "RESULT_COLUMNS", "BatchInputError", "batch_report", "write_report",
           "limits_at_risk"]
