"""Pictures for capacity reviews: one function per picture, ``ax=None`` in, the Axes out.

Every function draws on the Axes it is given (or a new figure's), labels its axes with
units, and returns the Axes so that report authors can restyle or save it. matplotlib is
imported inside the functions, so importing :mod:`plcapacity` never needs a display.

>>> import plcapacity.plotting as plots
>>> ax = plots.ceiling_heatmap(backend_vms=[2, 4, 8, 16])        # doctest: +SKIP
>>> ax.figure.savefig("ceilings.png")                            # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from plcapacity.base.results import table_of
from plcapacity.capacity.ceilings import connection_ceiling, ports_needed
from plcapacity.capacity.grid import ceiling_table
from plcapacity.capacity.imbalance import effective_ceiling
from plcapacity.report.figures import axes_or_new, compact_number, literal_text, thousands_axis

__all__ = ["ceiling_heatmap", "ceiling_vs_demand", "ports_needed_by_rate", "effective_vs_nominal",
           "downtime_histogram", "downtime_cdf", "availability_vs_regions", "monthly_slo_misses",
           "downtime_causes", "batch_overview", "utilization_by_service", "slo_risk_by_service",
           "ceilings_vs_peaks"]


# ----------------------------------------------------------------------------- capacity


def ceiling_heatmap(nat_ips=range(1, 9), backend_vms=(1, 2, 4, 8, 16, 32, 64), pls_count=1, *,
                    max_connections_per_vm=None, ax=None):
    """Connection ceiling over NAT IPs x backend VMs, with the binding limit marked.

    Parameters
    ----------
    nat_ips, backend_vms : sequence of int
        Grid values. [-]
    pls_count : int
        PLS on the load balancer. [-]
    max_connections_per_vm : float, optional
        Per-VM cap; cells where it binds instead of the NAT ports are hatched. [connections]
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import plcapacity as plc
    >>> from plcapacity import plotting
    >>> ax = plotting.ceiling_heatmap(nat_ips=[1, 2, 4, 8], backend_vms=[2, 10])
    >>> ax.get_xlabel()
    'NAT IPs per PLS [-]'
    >>> plt.close(ax.figure)
    """
    from matplotlib.colors import LogNorm
    from matplotlib.patches import Rectangle
    if not len(nat_ips) or not len(backend_vms):
        raise ValueError("ceiling_heatmap needs at least one NAT IP count and one VM count")
    ax = axes_or_new(ax)
    table = ceiling_table(list(nat_ips), list(backend_vms), pls_count,
                          max_connections_per_vm=max_connections_per_vm).table
    grid = table.pivot(index="backend_vms", columns="nat_ips", values="ceiling")
    binding = table.pivot(index="backend_vms", columns="nat_ips", values="binding_limit")
    image = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis",
                      norm=LogNorm())
    ax.set_xticks(range(grid.shape[1]), grid.columns)
    ax.set_yticks(range(grid.shape[0]), grid.index)
    for (row, col), value in np.ndenumerate(grid.to_numpy(dtype=float)):
        vm_bound = binding.iat[row, col] == "vm_connections"
        ax.text(col, row, compact_number(value) + ("*" if vm_bound else ""), ha="center",
                va="center", fontsize=7, color="white" if value < grid.to_numpy().max() / 8
                else "black")
        if vm_bound:
            ax.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, hatch="//",
                                   edgecolor="white", linewidth=0))
    colorbar = ax.figure.colorbar(image, ax=ax)
    colorbar.set_label("connection ceiling [connections]")
    ax.set_xlabel("NAT IPs per PLS [-]")
    ax.set_ylabel("backend VMs [-]")
    note = (f"; * and hatching: max_connections_per_vm={max_connections_per_vm:,.0f} binds"
            if max_connections_per_vm else "; NAT ports bind everywhere")
    ax.set_title(f"Ceiling, {pls_count} PLS{note}", fontsize=9)
    return ax


def _months_to_reach(level, demand, growth_per_year):
    """Months until ``demand`` growing at ``growth_per_year`` reaches ``level`` (0 if it already
    has; inf if it never does)."""
    if demand >= level:
        return 0.0
    if growth_per_year <= 0 or demand <= 0:
        return np.inf
    return float(12 * np.log(level / demand) / np.log1p(growth_per_year))


def ceiling_vs_demand(ceiling, demand, *, headroom=0.2, growth_per_year=0.0, months=36,
                      ax=None):
    """Demand growing against a ceiling, with the headroom line and the months at which demand
    plus headroom, and then raw demand, reach the ceiling.

    Parameters
    ----------
    ceiling : float
        Connections (or ports) the deployment carries. [connections]
    demand : float
        Today's demand in the same unit. [connections]
    headroom : float
        Spare fraction kept on top of the demand. [-]
    growth_per_year : float
        Compound demand growth (0.3 = +30 % a year). [-]
    months : int
        Horizon. [months]

    Returns
    -------
    matplotlib.axes.Axes
        Vertical lines mark, within the horizon, the month demand plus headroom reaches the
        ceiling (the headroom is used up: time to grow the deployment) and the month raw demand
        reaches it; ``ax.crossings`` holds both (``{"headroom": months, "ceiling": months}``,
        inf when not reached).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import plcapacity as plc
    >>> from plcapacity import plotting
    >>> ax = plotting.ceiling_vs_demand(5_120_000, 2_000_000, growth_per_year=0.5)
    >>> ax.get_xlabel()
    'months from now [months]'
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    month = np.linspace(0, months, 200)
    growing = demand * (1 + growth_per_year) ** (month / 12)
    ax.plot(month, growing, label="demand")
    ax.plot(month, growing * (1 + headroom), linestyle="--",
            label=f"demand + {headroom:.0%} headroom")
    ax.axhline(ceiling, color="black", label="ceiling")
    crossings = {
        "headroom": _months_to_reach(ceiling, demand * (1 + headroom), growth_per_year),
        "ceiling": _months_to_reach(ceiling, demand, growth_per_year),
    }
    if crossings["headroom"] <= months:
        reach = crossings["headroom"]
        text = ("headroom already used up" if reach == 0
                else f"headroom used up in {reach:.1f} months")
        ax.axvline(reach, color="tab:orange", linestyle="-.", label=text)
    if 0 < crossings["ceiling"] <= months:
        ax.axvline(crossings["ceiling"], color="red", linestyle=":",
                   label=f"ceiling in {crossings['ceiling']:.1f} months")
    ax.crossings = crossings
    ax.set_xlabel("months from now [months]")
    ax.set_ylabel("connections [connections]")
    thousands_axis(ax.yaxis)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    return ax


def ports_needed_by_rate(concurrent_connections, rates=None, hold_times=(16, 65, 120, 240), *,
                         ax=None):
    """Ports in use against the new-connection rate, one line per port hold time.

    Parameters
    ----------
    concurrent_connections : float
        Open connections. [connections]
    rates : array-like, optional
        New connections per second (default: 1 to 100,000, log-spaced). [1/s]
    hold_times : sequence of float
        Port hold times after close. [s]

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import plcapacity as plc
    >>> from plcapacity import plotting
    >>> ax = plotting.ports_needed_by_rate(100_000)
    >>> ax.get_xlabel()
    'new connections [1/s]'
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    rates = np.logspace(0, 5, 60) if rates is None else np.asarray(rates, dtype=float)
    for hold in hold_times:
        ax.plot(rates, ports_needed(concurrent_connections, rates, hold),
                label=f"hold {hold:g} s")
    ax.axhline(concurrent_connections, color="grey", linestyle=":", label="open connections")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("new connections [1/s]")
    ax.set_ylabel("ports in use [ports]")
    thousands_axis(ax.yaxis)
    ax.legend(fontsize=8, title="Little's law", title_fontsize=8)
    return ax


def effective_vs_nominal(nat_ips=8, backend_vms=(1, 10, 100, 1000), pls_count=1,
                         probabilities=None, *, ax=None):
    """Usable share of the nominal ceiling as the accepted overflow probability changes.

    Parameters
    ----------
    nat_ips, pls_count : int
        NAT IPs per PLS and PLS on the load balancer. [-]
    backend_vms : sequence of int
        One line per VM count. [-]
    probabilities : array-like, optional
        Overflow probabilities (default: 1e-9 to 1e-1, log-spaced). [-]

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import plcapacity as plc
    >>> from plcapacity import plotting
    >>> ax = plotting.effective_vs_nominal(8, backend_vms=(1, 10))
    >>> ax.get_xlabel()
    'accepted probability that a port pool overflows [-]'
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    probabilities = (np.logspace(-9, -1, 25) if probabilities is None
                     else np.asarray(probabilities, dtype=float))
    for vms in backend_vms:
        nominal = connection_ceiling(nat_ips, vms, pls_count)
        usable = [effective_ceiling(nat_ips, vms, pls_count, overflow_probability=p)
                  for p in probabilities]  # one bisection per point of the curve
        ax.plot(probabilities, np.asarray(usable) / nominal, marker=".",
                label=f"{vms:,} VMs ({nat_ips * vms * pls_count:,} pools)")
    ax.set_xscale("log")
    ax.set_xlabel("accepted probability that a port pool overflows [-]")
    ax.set_ylabel("effective / nominal ceiling [-]")
    ax.set_title(f"{pls_count} PLS x {nat_ips} NAT IPs", fontsize=9)
    ax.legend(fontsize=8)
    return ax


# ----------------------------------------------------------------------------- availability


def _annual_downtime(result):
    return np.asarray(result.downtime_min, dtype=float) / result.years


#: Share of the simulated years with downtime that the histogram's x-axis must show: the
#: axis fits the years between these quantiles (and the budget); rarer ones are counted in the
#: title instead of stretching the axis over decades where there is nothing to see.
_SHOWN_QUANTILES = (0.001, 0.999)


def downtime_histogram(result, *, ax=None, bins=60):
    """Histogram of annual downtime over simulated trials, with the SLO's yearly budget.

    The x-axis fits the data: it spans the years with downtime between their 0.1 % and 99.9 %
    quantiles, and the budget. Years beyond that range (rare long outages) are counted in the
    title with the longest one, not drawn. The axis is linear unless that range spans more than
    two decades.

    Parameters
    ----------
    result : SimulationResult
        From :func:`plcapacity.simulate` (per-trial results kept).
    bins : int
        Number of bins across the axis. [-]

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import plcapacity as plc
    >>> from plcapacity import plotting
    >>> api = plc.regional_deployment("api", "eastus; westus")
    >>> outages = plc.OutageModel(2.0, {"law": "fixed", "hours": 2})   # [1/yr], [h]
    >>> result = plc.simulate(api, outages, trials=2_000, seed=1, progress=False)
    >>> ax = plotting.downtime_histogram(result)
    >>> ax.get_xlabel()
    'annual downtime [min]'
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    annual = _annual_downtime(result)
    budget = result.sla.yearly_budget_minutes
    positive = annual[annual > 0]
    share_zero = 1 - positive.size / annual.size
    title = f"{annual.size:,} simulated years; {share_zero:.1%} had no downtime"
    if positive.size:
        low, high = np.quantile(positive, _SHOWN_QUANTILES)
        high = max(high, budget) * 1.1
        low = max(min(low, budget) / 1.5, 1e-2)
        logarithmic = high / low > 100
        if logarithmic:
            edges = np.geomspace(low, high, bins)
        else:
            low = 0.0
            edges = np.linspace(0.0, high, bins)
        shown = positive[(positive >= edges[0]) & (positive <= edges[-1])]
        ax.hist(shown, bins=edges, weights=np.full(shown.size, 1 / annual.size),
                color="tab:blue", alpha=0.8)
        if logarithmic:
            ax.set_xscale("log")
        ax.set_xlim(low, high)
        beyond = positive[positive > edges[-1]]
        below = positive[positive < edges[0]]
        if beyond.size:
            title += (f"\n{beyond.size:,} years above {edges[-1]:,.0f} min (longest "
                      f"{beyond.max():,.0f} min) not drawn")
        if below.size:
            title += f"\n{below.size:,} years below {edges[0]:,.2g} min not drawn"
    ax.axvline(budget, color="red", linestyle="--",
               label=f"{result.sla.slo_percent:g} % budget: {budget:.1f} min/yr")
    ax.set_xlabel("annual downtime [min]")
    ax.set_ylabel("share of simulated years [-]")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return ax


def downtime_cdf(result, *, ax=None):
    """Cumulative distribution of annual downtime, with the SLO's yearly budget marked.

    The x-axis is linear from 0 to a threshold near a tenth of the budget and logarithmic
    beyond (symlog); its ticks are 0 and the powers of ten past the linear part, so that no
    two labels collide.

    Parameters
    ----------
    result : SimulationResult
        From :func:`plcapacity.simulate`.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        Share of simulated years [-] against annual downtime [min] (symlog axis), with the
        SLO's yearly budget [min] marked.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import plcapacity as plc
    >>> from plcapacity import plotting
    >>> api = plc.regional_deployment("api", "eastus; westus")
    >>> outages = plc.OutageModel(2.0, {"law": "fixed", "hours": 2})   # [1/yr], [h]
    >>> result = plc.simulate(api, outages, trials=2_000, seed=1, progress=False)
    >>> ax = plotting.downtime_cdf(result)
    >>> ax.get_xlabel()
    'annual downtime [min]'
    >>> plt.close(ax.figure)
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ax = axes_or_new(ax)
    annual = np.sort(_annual_downtime(result))
    share = np.arange(1, annual.size + 1) / annual.size
    ax.step(annual, share, where="post")
    budget = result.sla.yearly_budget_minutes
    within = np.mean(annual <= budget)
    ax.axvline(budget, color="red", linestyle="--",
               label=f"budget {budget:.1f} min/yr: {within:.2%} of years within")
    right = max(annual[-1], budget) * 1.1
    if annual[-1] > 0:
        # A linear part up to a power of ten, so that the first decade tick sits where the
        # logarithmic part starts, one decade's width away from 0.
        linthresh = 10.0 ** np.floor(np.log10(max(budget / 10, 1e-2)))
        ax.set_xscale("symlog", linthresh=linthresh)
        decades = 10.0 ** np.arange(np.log10(linthresh), np.ceil(np.log10(right)) + 1)
        ax.xaxis.set_major_locator(FixedLocator([0.0, *decades[decades <= right]]))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.{2 if 0 < value < 1 else 0}f}"))
    ax.set_xlim(0, right)
    ax.set_ylim(min(share[0], 0.9), 1.0005)
    ax.set_xlabel("annual downtime [min]")
    ax.set_ylabel("share of years with at most this downtime [-]")
    ax.legend(fontsize=8, loc="lower right")
    return ax


def availability_vs_regions(table, *, ax=None):
    """Availability against the number of regions with endpoints: exact and simulated (CI).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`plcapacity.availability_by_region_count`: columns ``regions``,
        ``exact_availability``, ``availability``, ``availability_ci_low``, ``availability_ci_high``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import plcapacity as plc
    >>> from plcapacity import plotting
    >>> outages = plc.OutageModel(2.0, {"law": "fixed", "hours": 2})
    >>> table = plc.availability_by_region_count(["eastus", "westus2"], outages, trials=1_000,
    ...                                          seed=1)
    >>> ax = plotting.availability_vs_regions(table)
    >>> ax.get_ylabel()
    'unavailability [-] (1e-4 = 99.99 %)'
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    unavailability = 1 - table["exact_availability"].clip(upper=1 - 1e-16)
    ax.plot(table["regions"], unavailability, marker="o", label="exact (steady state)")
    simulated = 1 - table["availability"]
    low = simulated - (1 - table["availability_ci_high"])
    high = (1 - table["availability_ci_low"]) - simulated
    shown = simulated > 0
    ax.errorbar(table["regions"][shown], simulated[shown],
                yerr=[low[shown], high[shown]], fmt="s", capsize=3,
                label="simulated, 95 % CI")
    ax.set_yscale("log")
    ax.set_xticks(table["regions"])
    ax.set_xlabel("regions with an endpoint and a PLS [-]")
    ax.set_ylabel("unavailability [-] (1e-4 = 99.99 %)")
    ax.legend(fontsize=8)
    return ax


def monthly_slo_misses(result, *, ax=None):
    """Probability that each calendar month misses the SLO (bars) and its mean credit.

    Parameters
    ----------
    result : SimulationResult
        From :func:`plcapacity.simulate`.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        One bar per calendar month: the probability [-] that its uptime is below the SLO,
        with the mean service credit [% of the monthly fee].

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import plcapacity as plc
    >>> from plcapacity import plotting
    >>> api = plc.regional_deployment("api", "eastus; westus")
    >>> outages = plc.OutageModel(2.0, {"law": "fixed", "hours": 2})   # [1/yr], [h]
    >>> result = plc.simulate(api, outages, trials=2_000, seed=1, progress=False)
    >>> ax = plotting.monthly_slo_misses(result)
    >>> ax.get_xlabel()
    'calendar month'
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    uptime = result.monthly_uptime_percent
    months = uptime.shape[1]
    below = uptime < result.sla.slo_percent
    per_month = below.reshape(-1, months // 12, 12).mean(axis=(0, 1))  # Jan..Dec over years
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    ax.bar(names[:per_month.size], per_month, color="tab:orange",
           label="this calendar month")
    ax.axhline(per_month.mean(), color="black", linestyle=":",
               label=f"any month: {per_month.mean():.2%}")
    ax.set_xlabel("calendar month")
    ax.set_ylabel(f"P(uptime < {result.sla.slo_percent:g} %) [-]")
    # Above the plotting area, so that it never covers a bar however tall the bars are.
    ax.legend(fontsize=8, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, frameon=False,
              borderaxespad=0.2)
    return ax


def downtime_causes(result, *, ax=None):
    """Mean downtime per year attributed to each outage process (region or group).

    Parameters
    ----------
    result : SimulationResult
        From :func:`plcapacity.simulate`.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        Horizontal bars: mean downtime attributed to each outage process [min per year].

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import plcapacity as plc
    >>> from plcapacity import plotting
    >>> api = plc.regional_deployment("api", "eastus; westus")
    >>> outages = plc.OutageModel(2.0, {"law": "fixed", "hours": 2})   # [1/yr], [h]
    >>> result = plc.simulate(api, outages, trials=2_000, seed=1, progress=False)
    >>> ax = plotting.downtime_causes(result)
    >>> ax.get_xlabel()
    'downtime attributed [min per year]'
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    causes = result.causes()
    causes = causes[causes > 0] if (causes > 0).any() else causes
    ax.barh(causes.index[::-1], causes.to_numpy()[::-1], color="tab:red")
    ax.set_xlabel("downtime attributed [min per year]")
    ax.set_ylabel("outage process")
    return ax


def _served(results):
    """Served availability per row: ``served_availability``, or ``served_fraction`` (its name
    in results from plcapacity 0.1), or NaN where neither column exists."""
    for name in ("served_availability", "served_fraction"):
        if name in results.columns:
            return results[name].astype(float)
    return results["availability"].astype(float) * np.nan


def _spread_labels(ax, xs, ys, texts, fontsize=7):
    """Name points without overlaps.

    First a greedy pass from the bottom up moves each label up until it clears the labels
    already placed (a thin leader line marks a moved label). If that would push a label out
    of the axes (a crowd in one spot), the labels go instead into a column right of the axes,
    in the order of their points' heights, each with a leader line to its point.
    """
    if not len(texts):
        return []
    ax.autoscale_view()
    points = np.column_stack([np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)])
    at = ax.transData.transform(points) * 72 / ax.figure.dpi  # display points
    box = ax.get_window_extent()
    top = (box.y1 - fontsize * 0.5) * 72 / ax.figure.dpi
    height = fontsize * 1.3
    placed, offsets = [], {}
    for i in np.lexsort((at[:, 0], at[:, 1])):
        left, width = at[i, 0] + 3, 0.6 * fontsize * len(str(texts[i]))
        dy = 2.0
        while any(left < x1 and x0 < left + width and at[i, 1] + dy < y1
                  and y0 < at[i, 1] + dy + height for x0, x1, y0, y1 in placed):
            dy += height
        placed.append((left, left + width, at[i, 1] + dy, at[i, 1] + dy + height))
        offsets[i] = dy
    line = dict(arrowstyle="-", color="0.6", lw=0.5)
    if max(at[i, 1] + dy + height for i, dy in offsets.items()) <= top + height:
        return [ax.annotate(literal_text(texts[i]), tuple(points[i]), fontsize=fontsize,
                            xytext=(3, dy), textcoords="offset points", annotation_clip=False,
                            arrowprops=line if dy > 2.0 else None)
                for i, dy in offsets.items()]
    order = np.lexsort((at[:, 0], at[:, 1]))  # bottom to top
    slots = np.linspace(0.0, 1.0, len(order)) if len(order) > 1 else np.array([0.5])
    return [ax.annotate(literal_text(texts[i]), tuple(points[i]), xycoords="data",
                        xytext=(1.03, slot), textcoords="axes fraction", fontsize=fontsize,
                        va="center", annotation_clip=False, arrowprops=line)
            for i, slot in zip(order, slots)]


def _shown(frame, column, top):
    """The ``top`` rows with the largest ``column`` (all rows when ``top`` is None), sorted
    ascending for a bar chart (largest at the top), and a title saying what was cut."""
    frame = frame.sort_values(column, kind="stable")
    if top is None or len(frame) <= top:
        return frame, None
    return frame.tail(int(top)), f"the {int(top)} highest of {len(frame):,} services"


def batch_overview(results, *, ax=None, label=True, headroom=None, max_labels=25):
    """Per service: utilization after failures against the risk of a month below the SLO.

    Parameters
    ----------
    results : BatchResults or pandas.DataFrame
        From :func:`plcapacity.run_batch` (or its table).
    label : bool
        Name the services: all of a batch of up to 8, otherwise those nearly full (over
        80 % used) or missing the SLO in more than 3 % of months, at most ``max_labels`` of
        them (the riskiest first). Labels are moved apart so that they do not overlap.
    headroom : float or array-like, optional
        Each service's headroom [-] (default: the ``headroom`` column if present, else 0.2).
        A service is past its headroom at utilization 1 / (1 + headroom); one value draws a
        line there, differing values a band from the lowest to the highest, and points past
        their own headroom get a black ring.
    max_labels : int
        Most services named. [-]

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import plcapacity as plc
    >>> from plcapacity import plotting
    >>> import pandas as pd
    >>> services = pd.DataFrame({"service": ["orders", "search"],
    ...                          "concurrent_connections": [2_000_000, 50_000],
    ...                          "pe_regions": ["eastus;westus2", "westeurope"]})
    >>> results = plc.run_batch(services, trials=1_000, seed=7, progress=False)
    >>> ax = plotting.batch_overview(results)
    >>> ax.get_xlabel()
    'utilization after tolerated VM failures [%]'
    >>> plt.close(ax.figure)
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import PercentFormatter
    results = table_of(results)
    ax = axes_or_new(ax, figsize=(7.2, 4.8))
    is_ok = (results["status"] == "ok").to_numpy()
    ok = results[is_ok]
    risk = ok["p_month_below_slo"].fillna(0)
    utilization = ok["utilization_after_failures"].astype(float)
    if headroom is None:
        headroom = results["headroom"] if "headroom" in results.columns else 0.2
    headroom = np.broadcast_to(np.asarray(headroom, dtype=float), is_ok.shape)[is_ok]
    headroom = np.where(np.isnan(headroom), 0.2, headroom)
    served = _served(ok)
    short = (served < ok["availability"].astype(float) - 1e-9).to_numpy()
    colors = np.where(ok["p_month_below_slo"].isna(), "grey",
                      np.where(risk > 0.05, "tab:red", "tab:blue"))
    large = len(ok) > 500  # smaller, translucent markers so that a crowd stays legible
    ax.scatter(utilization, risk, c=colors, s=6 if large else 30, alpha=0.5 if large else 1,
               linewidths=0, zorder=2)
    handles = [Line2D([], [], marker="o", ls="", color=c, label=t) for c, t in (
        ("tab:blue", "misses the SLO in at most 5 % of months"),
        ("tab:red", "misses the SLO in more than 5 % of months"),
        ("grey", "no regions simulated (plotted at 0)"))]
    past = utilization.to_numpy() > 1 / (1 + headroom)
    if past.any():
        ax.scatter(utilization[past], risk[past], s=20 if large else 80, facecolors="none",
                   edgecolors="black", linewidths=0.4 if large else 0.8, zorder=3)
        handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="none",
                              markeredgecolor="black", label="past its own headroom"))
    if short.any():
        ax.scatter(utilization[short], risk[short], marker="x", s=12 if large else 60,
                   linewidths=0.6 if large else 1.5, color="tab:purple", zorder=4)
        handles.append(Line2D([], [], marker="x", ls="", color="tab:purple",
                              label="capacity shortfall after a regional outage"))
    if ok.empty:
        ax.text(0.5, 0.5, "no service was sized", ha="center", va="center",
                transform=ax.transAxes)
    low, high = (np.min(headroom), np.max(headroom)) if len(headroom) else (0.2, 0.2)
    if np.isclose(low, high):
        ax.axvline(1 / (1 + low), color="grey", linestyle=":")
        handles.append(Line2D([], [], color="grey", ls=":",
                              label=f"{low:.0%} headroom used up ({1 / (1 + low):.0%})"))
    else:
        ax.axvspan(1 / (1 + high), 1 / (1 + low), color="grey", alpha=0.15, lw=0)
        handles.append(Line2D([], [], color="grey", alpha=0.4, lw=6, label=(
            f"headroom used up: {1 / (1 + high):.0%} (headroom {high:.0%}) to "
            f"{1 / (1 + low):.0%} (headroom {low:.0%})")))
    ax.set_xlabel("utilization after tolerated VM failures [%]")
    ax.set_ylabel("probability that a month misses the SLO [%]")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.15),
              ncol=2, frameon=False)  # below the axes: never over a point or a name
    if label and len(ok):
        # Name every service in a small batch; in a large one only those worth a look
        # (nearly full, or missing the SLO often), the riskiest first, so names stay readable.
        notable = (len(ok) <= 8) | (risk > 0.03) | (utilization > 0.8) | short
        named = ok[np.broadcast_to(np.asarray(notable), risk.shape)]
        order = np.lexsort((-utilization[named.index].to_numpy(),
                            -risk[named.index].to_numpy()))[:max_labels]
        named = named.iloc[order]
        if len(order) < int(np.sum(notable)):
            ax.set_title(f"{len(order)} of {int(np.sum(notable)):,} notable services named "
                         "(the riskiest)", fontsize=9)
        engine = ax.figure.get_layout_engine()
        if engine is not None:
            engine.execute(ax.figure)  # final axes position before labels are spaced
        _spread_labels(ax, utilization[named.index], risk[named.index],
                       named["service"].tolist())
    return ax


def utilization_by_service(results, *, ax=None, top=None):
    """Utilization after tolerated failures per service, coloured by the binding limit.

    Parameters
    ----------
    results : BatchResults or pandas.DataFrame
        From :func:`plcapacity.run_batch` (or its table).
    top : int, optional
        Draw only the ``top`` fullest services (the title says how many there are); default
        all, which is unreadable beyond a few dozen.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import plcapacity as plc
    >>> from plcapacity import plotting
    >>> import pandas as pd
    >>> services = pd.DataFrame({"service": ["orders", "search"],
    ...                          "concurrent_connections": [2_000_000, 50_000],
    ...                          "pe_regions": ["eastus;westus2", "westeurope"]})
    >>> results = plc.run_batch(services, trials=1_000, seed=7, progress=False)
    >>> ax = plotting.utilization_by_service(results)
    >>> ax.get_xlabel()
    'utilization after tolerated VM failures [%]'
    >>> plt.close(ax.figure)
    """
    from matplotlib.patches import Patch
    from matplotlib.ticker import PercentFormatter
    results = table_of(results)
    ok, cut = _shown(results[results["status"] == "ok"], "utilization_after_failures", top)
    ax = axes_or_new(ax, figsize=(7.2, max(3.0, 0.22 * len(ok) + 1)))
    palette = {"nat_ports": "tab:blue", "vm_connections": "tab:green",
               "hash_overflow": "tab:purple"}
    ax.barh([literal_text(n) for n in ok["service"]], ok["utilization_after_failures"],
            color=[palette.get(b, "grey") for b in ok["binding_limit"]])
    ax.axvline(1.0, color="red", linestyle="--")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("utilization after tolerated VM failures [%]")
    ax.set_ylabel("service")
    ax.tick_params(axis="y", labelsize=7)
    if cut:
        ax.set_title(f"Fullest services: {cut}", fontsize=9)
    names = {"nat_ports": "NAT ports", "vm_connections": "connections per VM",
             "hash_overflow": "port-hash overflow"}
    ax.legend(handles=[Patch(color=c, label=f"{names[b]} ({b})") for b, c in palette.items()
                       if b in set(ok["binding_limit"])], fontsize=8, title="limiting factor",
              title_fontsize=8, loc="lower right")
    return ax


def slo_risk_by_service(results, *, ax=None, top=None):
    """Probability that a month misses the SLO, per service with regions (largest first).

    Parameters
    ----------
    results : BatchResults or pandas.DataFrame
        From :func:`plcapacity.run_batch` (or its table).
    top : int, optional
        Draw only the ``top`` services most likely to miss the SLO; default all.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import plcapacity as plc
    >>> from plcapacity import plotting
    >>> import pandas as pd
    >>> services = pd.DataFrame({"service": ["orders", "search"],
    ...                          "concurrent_connections": [2_000_000, 50_000],
    ...                          "pe_regions": ["eastus;westus2", "westeurope"]})
    >>> results = plc.run_batch(services, trials=1_000, seed=7, progress=False)
    >>> ax = plotting.slo_risk_by_service(results)
    >>> ax.get_xlabel()
    'probability that a calendar month misses the SLO [%]'
    >>> plt.close(ax.figure)
    """
    from matplotlib.ticker import PercentFormatter
    results = table_of(results)
    shown, cut = _shown(results[results["p_month_below_slo"].notna()], "p_month_below_slo",
                        top)
    ax = axes_or_new(ax, figsize=(7.2, max(3.0, 0.22 * len(shown) + 1)))
    ax.barh([literal_text(n) for n in shown["service"]], shown["p_month_below_slo"],
            color="tab:orange")
    for y, (risk, credit) in enumerate(zip(shown["p_month_below_slo"],
                                           shown["expected_credit_percent"])):
        ax.annotate(f"credit {credit:.2f} %", (risk, y), fontsize=6, xytext=(3, -2),
                    textcoords="offset points")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("probability that a calendar month misses the SLO [%]")
    ax.set_ylabel("service")
    ax.tick_params(axis="y", labelsize=7)
    if cut:
        ax.set_title(f"Most likely to miss the SLO: {cut}", fontsize=9)
    return ax


# ----------------------------------------------------------------------------- the estate


def ceilings_vs_peaks(table, *, ax=None):
    """Each PLS's connection ceiling against its observed peak, as horizontal bars.

    Parameters
    ----------
    table : pandas.DataFrame
        The result of :func:`plcapacity.estate_table` (columns ``name``, ``ceiling``
        and ``peak_connections_estimate``).

    Returns
    -------
    matplotlib.axes.Axes
        Ceiling [connections] (light) and the estimated peak of ports in use (dark); a PLS
        whose backend VMs are unknown has no ceiling bar.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import plcapacity as plc
    >>> from plcapacity import plotting
    >>> folder = plc.data_path("examples/estate")
    >>> metrics = plc.read_metrics(folder / "metrics-pls-orders.json")
    >>> forecast = plc.forecast_exhaustion(metrics)
    >>> inventory = plc.read_inventory(folder / "pls.json", folder / "lb.json")
    >>> ax = plotting.ceilings_vs_peaks(plc.estate_table(inventory, forecast))
    >>> ax.get_xlabel()
    'concurrent connections [connections]'
    >>> plt.close(ax.figure)
    """
    shown = table.iloc[::-1]
    ax = axes_or_new(ax, figsize=(7.2, max(2.5, 0.45 * len(shown) + 1)))
    names = [literal_text(n) for n in shown["name"]]
    y = np.arange(len(shown))
    ceiling = shown["ceiling"].astype("float64").to_numpy()
    peak = shown["peak_connections_estimate"].astype("float64").to_numpy()
    ax.barh(y, np.nan_to_num(ceiling), height=0.7, color="tab:blue", alpha=0.3,
            label="ceiling")
    ax.barh(y, np.nan_to_num(peak), height=0.35, color="tab:blue",
            label="observed peak (estimated)")
    for row, (c, p) in enumerate(zip(ceiling, peak)):
        text = "ceiling unknown" if np.isnan(c) else (
            f"{p / c:.0%} of the ceiling" if not np.isnan(p) and c > 0 else "")
        if text:
            ax.annotate(text, (np.nan_to_num(max(np.nan_to_num(c), np.nan_to_num(p))), row),
                        xytext=(4, -3), textcoords="offset points", fontsize=7)
    ax.set_yticks(y, names)
    thousands_axis(ax.xaxis)
    ax.set_xlabel("concurrent connections [connections]")
    ax.set_ylabel("service")
    ax.margins(x=0.25)
    ax.legend(fontsize=8, loc="lower right")
    return ax
