"""Pictures of an estate review: NAT-port usage against its forecast."""

from __future__ import annotations

import numpy as np

from plcapacity.report.figures import axes_or_new, literal_text

__all__ = ["nat_port_forecast"]


def nat_port_forecast(metrics, forecast, pls, *, ax=None):
    """Daily peaks of ``PLSNatPortsUsage`` per NAT IP of one PLS, the trend carried forward
    with its prediction band, and the thresholds.

    Parameters
    ----------
    metrics : Metrics or pandas.DataFrame
        The result of :func:`plcapacity.read_metrics`, or its table.
    forecast : Forecast
        The result of :func:`plcapacity.forecast_exhaustion` on them (its fitted lines draw
        the trend and band; a DataFrame of plcapacity 0.1 is read with a DeprecationWarning,
        until 0.3.0).
    pls : str
        The PLS's name or resource id.

    Returns
    -------
    matplotlib.axes.Axes
        Daily peaks [%] against the date (UTC); per NAT IP a dashed trend to the horizon and
        a shaded band: the steepest and shallowest Theil-Sen lines plus the upper and lower
        residual quantiles (the trend's uncertainty and the spread of peaks; the dates'
        interval is the first day a peak reaches a threshold, from
        :mod:`plcapacity.estate.passage`).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import plcapacity as plc
    >>> from plcapacity import plotting
    >>> folder = plc.data_path("examples/estate")
    >>> metrics = plc.read_metrics(folder / "metrics-pls-orders.json")
    >>> forecast = plc.forecast_exhaustion(metrics)
    >>> ax = plotting.nat_port_forecast(metrics, forecast, "pls-orders")
    >>> ax.get_xlabel()
    'date (UTC)'
    >>> plt.close(ax.figure)
    """
    import pandas as pd
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    from plcapacity.estate.forecast import as_forecast, daily_peaks
    found = as_forecast(forecast)
    table = found.table
    key = str(pls).lower()
    mine = table[(table["resource_id"].str.lower() == key) | (table["pls"].str.lower() == key)]
    if mine.empty:
        raise ValueError(f"pls={pls!r} is not in the forecast; known: "
                         f"{', '.join(sorted(table['pls'].unique()))}")
    resource = mine["resource_id"].iloc[0]
    peaks = daily_peaks(metrics, aggregation=found.aggregation)
    peaks = peaks[peaks["resource_id"] == resource]
    thresholds = sorted(mine["threshold_percent"].unique())
    horizon = float(365 if found.horizon_days is None else found.horizon_days)
    ax = axes_or_new(ax, figsize=(7.2, 4.2))
    day = pd.Timedelta(days=1)
    for i, (nat_ip, series) in enumerate(peaks.groupby("dimension", sort=True)):
        color = f"C{i % 10}"
        label = literal_text(nat_ip or "all NAT IPs")
        ax.plot(series["day"], series["peak"], ".", color=color, markersize=3, label=label)
        fit = found.fits.get((resource, nat_ip))
        if fit is None:
            continue
        first = fit["first_day"]
        last = (series["day"].iloc[-1] - first) / day
        ahead = mine[mine["nat_ip"] == nat_ip]["crossing_latest"].max()
        stop = last + horizon if pd.isna(ahead) else min(last + horizon,
                                                         (ahead - first) / day + 14)
        t = np.linspace(0, max(stop, last + 1), 200)
        lines = fit["intercepts"][:, None] + fit["slopes"][:, None] * t
        middle = fit["intercept"] + fit["slope"] * t
        upper, lower = lines.max(axis=0) + fit["q_high"], lines.min(axis=0) + fit["q_low"]
        if fit["log"]:
            middle, upper, lower = np.exp(middle), np.exp(upper), np.exp(lower)
        ceiling = 1.15 * max(thresholds)
        dates = first + pd.to_timedelta(t, unit="D")
        ax.plot(dates, np.minimum(middle, ceiling), "--", color=color, linewidth=1)
        future = t >= last
        ax.fill_between(dates[future], np.clip(lower[future], 0, ceiling),
                        np.clip(upper[future], 0, ceiling), color=color, alpha=0.15,
                        linewidth=0)
    for threshold in thresholds:
        ax.axhline(threshold, color="red" if threshold >= 100 else "darkorange",
                   linestyle=":", linewidth=1)
    ax.set_ylim(0, 1.15 * max(thresholds))
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.set_xlabel("date (UTC)")
    ax.set_ylabel("PLSNatPortsUsage, daily peak [%]")
    ax.set_title(literal_text(mine["pls"].iloc[0]), fontsize=10)
    ax.legend(fontsize=7, title="NAT IP", title_fontsize=7, loc="upper left")
    return ax
