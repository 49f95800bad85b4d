"""Pictures of an estate review: NAT-port usage against its forecast, and an overview of every
service of an estate of any size."""

from __future__ import annotations

import numpy as np

from plcapacity.report.figures import axes_or_new, literal_text

__all__ = ["nat_port_forecast", "estate_overview"]


def nat_port_forecast(metrics, forecast, pls, *, ax=None):
    """Daily peaks of ``PLSNatPortsUsage`` per NAT IP of one PLS, the trend carried forward
    with its prediction band, and the thresholds.

    Parameters
    ----------
    metrics : Metrics, DailyMetrics or pandas.DataFrame
        The result of :func:`plcapacity.read_metrics` (or of
        :func:`plcapacity.estate.daily.read_daily_metrics`), or its table.
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
    ax = axes_or_new(ax, figsize=(5.0, 3.6))
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
    ax.legend(fontsize=9, title="NAT IP", title_fontsize=9, loc="upper left")
    return ax


def estate_overview(table, flagged=None, *, ax=None):
    """Every PLS of an estate in one picture: its connection ceiling against its peak NAT
    port usage, the services that need a look in red.

    One point per PLS, so the picture costs the same for 10 services or 10,000 (unlike
    :func:`plcapacity.plotting.ceilings_vs_peaks`, one bar per service).

    Parameters
    ----------
    table : pandas.DataFrame
        The result of :func:`plcapacity.estate_table` with a forecast (columns ``ceiling``
        and ``peak_nat_port_usage_percent``).
    flagged : array-like of bool, optional
        The services that need a look (drawn in red, on top).

    Returns
    -------
    matplotlib.axes.Axes
        Peak NAT port usage [%] (the highest daily peak over the PLS's NAT IPs) across,
        ceiling [connections] (log scale) up; services without metrics or without a known
        ceiling are counted in the legend, not drawn.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> table = pd.DataFrame({"ceiling": [384_000, 1_536_000, None],
    ...                       "peak_nat_port_usage_percent": [65.1, 39.7, 87.4]})
    >>> ax = estate_overview(table, flagged=[True, False, True])
    >>> ax.get_xlabel(), ax.get_legend().get_texts()[-1].get_text()
    ('peak NAT port usage [%]', '1 without a known ceiling or metrics, not shown')
    >>> plt.close(ax.figure)
    """
    from plcapacity.report.figures import axes_or_new, thousands_axis
    ax = axes_or_new(ax, figsize=(5.0, 3.6))
    ceiling = table["ceiling"].astype("float64").to_numpy()
    usage = table["peak_nat_port_usage_percent"].astype("float64").to_numpy() \
        if "peak_nat_port_usage_percent" in table else np.full(len(table), np.nan)
    flagged = np.zeros(len(table), bool) if flagged is None else np.asarray(flagged, bool)
    shown = np.isfinite(ceiling) & (ceiling > 0) & np.isfinite(usage)
    for mask, color, label, order in ((shown & ~flagged, "tab:blue", "fine", 2),
                                      (shown & flagged, "tab:red", "needs a look", 3)):
        ax.scatter(usage[mask], ceiling[mask], s=14, color=color, alpha=0.6, linewidths=0,
                   label=f"{label} ({int(mask.sum()):,})", zorder=order)
    hidden = int((~shown).sum())
    if hidden:
        ax.plot([], [], " ", label=f"{hidden:,} without a known ceiling or metrics, not shown")
    ax.set_xlim(0, 100)
    if shown.any():
        ax.set_yscale("log")
    else:
        thousands_axis(ax.yaxis)
    ax.set_xlabel("peak NAT port usage [%]")
    ax.set_ylabel("ceiling [connections]")
    ax.set_title(f"{len(table):,} Private Link Services", fontsize=10)
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(0, -0.18), frameon=False)
    return ax
