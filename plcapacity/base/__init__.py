"""The shared base: what every family of plcapacity stands on. It imports nothing of ours.

- :mod:`~plcapacity.base.limits` — Azure's documented limits and prices from ``data/``
  (:func:`get_limits`, :func:`data_path`), one loader for checkouts and installed wheels;
- :mod:`~plcapacity.base.regions` — the region catalog, geographies and zones;
- :mod:`~plcapacity.base.sla` — the Private Link SLA, credit tiers and calendar months;
- :mod:`~plcapacity.base.schema` — one type for every table schema (:class:`Column`,
  :class:`Schema`);
- :mod:`~plcapacity.base.validation` — argument and table-row checks whose errors name the
  field, the row, the value and what is allowed;
- :mod:`~plcapacity.base.tables` — reading and writing tables by file suffix, safely;
- :mod:`~plcapacity.base.results` — tables with what was learnt making them
  (:class:`TableResult`: the overridden limits, assumptions or seed as plain attributes
  beside the table, never in ``DataFrame.attrs``);
- :mod:`~plcapacity.base.files` — atomic writes (no half-written output);
- :mod:`~plcapacity.base.exceptions` — every error and warning class of the package;
- :mod:`~plcapacity.base.progress` — the progress bar, on a terminal only;
- :mod:`~plcapacity.base.execution` — local processes or a Dask cluster, one loop for both;
- :mod:`~plcapacity.base.deprecation` — the one way names are deprecated;
- :mod:`~plcapacity.base.version` — the installed version.

Import from the modules (``from plcapacity.base.limits import get_limits``); this file
imports nothing so that loading one base module never loads the rest.
"""

__all__: list[str] = []
