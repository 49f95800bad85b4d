"""Do the fitted outage rates predict? Fit on one year of incidents, predict the next.

For the data-path incidents of the shipped Azure status history, each region's 2018 count
(and its 2018 exposure, from its opening date) gives a forecast of its 2019 count; the
forecasts are scored by the mean negative log-likelihood (NLL) of the observed 2019 counts and
by the coverage of their 90 % prediction intervals, over every region open in 2019.

Estimators:

- ``gamma-poisson``: plcapacity's default, the hierarchical gamma-Poisson model over every
  region open in 2018 (``plcapacity.outages.pooling``); its predictive law is a mixture of
  negative binomials.
- ``own-or-pooled``: plcapacity 0.1's, a region's own 2018 rate where it had an incident, the
  mean rate of the regions that had incidents otherwise; Poisson forecasts.
- ``one pooled rate``: one rate for every region open in 2018 (total count / total exposure);
  Poisson forecasts.

Goal (issue: outage evidence for the data path): the new estimator's NLL lower than both
baselines', by at least 10 % against the one pooled rate, and 90 % intervals that cover at
least 85 % of the regions. It prints what it measures, whichever way it goes.

Run: ``python benchmarks/bench_outage_prediction.py [--services data_path|all]``.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from scipy import stats

import plcapacity as plc
from plcapacity.base.limits import data_path
from plcapacity.outages.fitting import region_exposures, regions_open_during
from plcapacity.outages.incidents import INCIDENTS_FILE
from plcapacity.outages.pooling import fit_gamma_poisson

YEARS = (("2018-01-01", "2019-01-01"), ("2019-01-01", "2020-01-01"))


def region_counts(services, period, regions):
    """Incidents attributed to each single region in ``period`` (fit_outages' own parsing,
    merging and attribution), in the order of ``regions``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", plc.ModelWarning)
        fit = plc.fit_outages(data_path(INCIDENTS_FILE), period=period, regions=regions,
                              services=services, rates="own-or-pooled")
    table = fit.table[fit.table["kind"] == "region"].set_index("name")
    return table["events"].reindex(regions).to_numpy(dtype=int)


def poisson_scores(rate, horizon, observed, level=0.9):
    mean = rate * horizon
    nll = -stats.poisson.logpmf(observed, mean)
    low = stats.poisson.ppf((1 - level) / 2, mean)
    high = stats.poisson.ppf((1 + level) / 2, mean)
    return nll, (observed >= low) & (observed <= high)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", default="data_path",
                        help="incidents counted: data_path (default) or all")
    args = parser.parse_args(argv)
    services = None if args.services == "all" else args.services

    import pandas as pd
    (b18, e18), (b19, e19) = [tuple(pd.Timestamp(x, tz="UTC") for x in y) for y in YEARS]
    fit_regions = regions_open_during(b18, e18)
    test_regions = regions_open_during(b19, e19)
    regions = sorted(set(fit_regions) | set(test_regions))
    n18 = region_counts(services, YEARS[0], regions)
    t18 = region_exposures(regions, b18, e18)
    n19 = region_counts(services, YEARS[1], regions)
    h19 = region_exposures(regions, b19, e19)
    scored = h19 > 0

    # the new estimator: the whole population, regions not yet open enter with T = 0
    posterior = fit_gamma_poisson(n18, t18)
    nll_new = -posterior.predictive_logpmf(n19, h19)  # horizons differ (regions opening)
    low, high = posterior.predictive_interval(h19, level=0.9)
    covered_new = (n19 >= low) & (n19 <= high)

    # own-or-pooled (0.1): own 2018 rate, else the mean over regions with incidents
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(t18 > 0, n18 / t18, np.nan)
    had = n18 > 0
    pooled_over_had = own[had].mean()
    rate_old = np.where(had, own, pooled_over_had)
    nll_old, covered_old = poisson_scores(rate_old, h19, n19)

    # one pooled rate over every region open in 2018
    rate_one = n18.sum() / t18.sum()
    nll_one, covered_one = poisson_scores(np.full(len(regions), rate_one), h19, n19)

    rows = [("gamma-poisson (default)", nll_new, covered_new),
            ("own-or-pooled (0.1)", nll_old, covered_old),
            ("one pooled rate", nll_one, covered_one)]
    print(f"incidents: {args.services}; fit on 2018 ({len(fit_regions)} regions open, "
          f"{n18.sum()} incidents, {t18.sum():.2f} region-years); predict 2019 "
          f"({int(scored.sum())} regions open, {n19[scored].sum()} incidents)")
    print(f"{'estimator':<26}{'mean NLL':>10}{'90 % PI coverage':>18}")
    for name, nll, covered in rows:
        print(f"{name:<26}{np.mean(nll[scored]):>10.4f}{np.mean(covered[scored]):>17.1%}")
    new, old, one = (np.mean(r[1][scored]) for r in rows)
    print(f"NLL ratio new/own-or-pooled = {new / old:.3f}; new/one-pooled = {new / one:.3f} "
          f"(goal: < 1 and <= 0.90)")
    print(f"coverage of the new 90 % intervals = {np.mean(covered_new[scored]):.1%} "
          "(goal: >= 85 %)")


if __name__ == "__main__":
    main()
