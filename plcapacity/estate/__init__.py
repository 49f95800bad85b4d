"""Estate: a review of the Private Link Services an organisation already runs, from its
Azure exports.

- :mod:`~plcapacity.estate.exports` — reading exported JSON or CSV, keys in any case (each
  result below is a :class:`~plcapacity.base.results.TableResult`: a table with its
  metadata beside it, never in ``DataFrame.attrs``);
- :mod:`~plcapacity.estate.inventory` — PLSs, load balancers and endpoint connections:
  :func:`read_inventory` (an :class:`Inventory`), :func:`deployment_from_inventory`;
- :mod:`~plcapacity.estate.metrics` — NAT-port usage and throughput: :func:`read_metrics`
  (:class:`Metrics`);
- :mod:`~plcapacity.estate.daily` — the same exports reduced file by file to daily peaks and
  throughput, in bounded memory, on this machine's cores or a Dask cluster:
  :func:`~plcapacity.estate.daily.read_daily_metrics` (:class:`DailyMetrics`);
- :mod:`~plcapacity.estate.forecast` — when usage reaches a threshold:
  :func:`forecast_exhaustion` (a :class:`Forecast`), every series of the same days fitted
  together as the rows of arrays;
- :mod:`~plcapacity.estate.trend` — the forecast's Theil-Sen lines in bounded memory, one
  series or many at once (:func:`~plcapacity.estate.trend.theil_sen`,
  :func:`~plcapacity.estate.trend.theil_sen_rows`);
- :mod:`~plcapacity.estate.passage` — the law of the first day a peak reaches a threshold,
  from which the forecast's dates and intervals come (for many series at once);
- :mod:`~plcapacity.estate.review` — :func:`estate_table` and the HTML
  :func:`estate_review`, built with :mod:`plcapacity.report`;
- :mod:`~plcapacity.estate.plots` — :func:`nat_port_forecast`, :func:`estate_overview`.

Depends on every family below it; never on :mod:`plcapacity.batch`.
"""

from plcapacity.estate.daily import DailyMetrics, read_daily_metrics
from plcapacity.estate.forecast import Forecast, forecast_exhaustion
from plcapacity.estate.inventory import Inventory, deployment_from_inventory, read_inventory
from plcapacity.estate.metrics import Metrics, read_metrics
from plcapacity.estate.plots import estate_overview, nat_port_forecast
from plcapacity.estate.review import estate_review, estate_table

__all__ = ["read_inventory", "Inventory", "deployment_from_inventory", "read_metrics", "Metrics",
           "read_daily_metrics", "DailyMetrics",
           "forecast_exhaustion", "Forecast", "estate_table", "estate_review",
           "nat_port_forecast", "estate_overview"]
