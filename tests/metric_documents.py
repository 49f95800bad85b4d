"""Azure Monitor metrics documents for the estate tests: the shape of
examples/GetMetric.json (monitor 2023-10-01), built for one metric, and written to a file."""

import json

PLS = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateLinkServices/p"


def rest(series, metric="PLSNatPortsUsage", unit="Percent", resource=PLS):
    """One metric's response: ``series`` is ``[(dimensions, points), ...]``."""
    return {"cost": 0, "timespan": "x", "interval": "PT1H", "value": [{
        "id": f"{resource}/providers/Microsoft.Insights/metrics/{metric}",
        "type": "Microsoft.Insights/metrics",
        "name": {"value": metric, "localizedValue": metric}, "unit": unit,
        "timeseries": [{"metadatavalues": [{"name": {"value": name}, "value": value}
                                           for name, value in dims],
                        "data": points} for dims, points in series],
        "errorCode": "Success"}]}


def write(tmp_path, name, document):
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path
