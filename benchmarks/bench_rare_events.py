"""Benchmark of importance sampling against plain Monte Carlo on rare events (issue 21).

What it measures, on the same cases and in the same run:

* **Work-normalised variance**: the per-trial variance of the estimator times the time per
  trial (variance x time), for plain sampling and for importance sampling; their ratio is the
  speed-up at equal precision.
* **Time to a 10 % relative interval** (95 % half-width at most 10 % of the figure):
  ``(1.96 sigma / (0.1 u))**2`` trials times the time per trial, for both, with ``u`` the
  exact steady-state unavailability (the reference).

Plain sampling sees no down time in any affordable run of the rarest cases, so its per-trial
variance ``E_p[x**2] - u**2`` is estimated from the importance-sampled trials (``mean(w x**2)``
is an unbiased estimate of ``E_p[x**2]``); its time per trial is measured on a plain run of the
same model. A stressed case, frequent enough for plain sampling, checks that estimate against
plain sampling's own variance. Times are medians of interleaved repeats.

Cases: one region of three must be up (fixed 4 h outages, 1 a year: exact 9.5e-11; the issue's
goal: a 10 % interval in at most a hundredth of plain sampling's time); two of four regions
with a correlated pair (served, 4.3e-8); two regions with lognormal outages (2.4e-8); the
stressed one-of-three (12 outages a year).

Run: ``python benchmarks/bench_rare_events.py [--trials 262144] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plcapacity.availability.deployment import Deployment, Destination, Endpoint  # noqa: E402
from plcapacity.availability.exact import exact_unavailability  # noqa: E402
from plcapacity.availability.simulation import simulate  # noqa: E402
from plcapacity.outages.laws import MINUTES_PER_YEAR  # noqa: E402
from plcapacity.outages.processes import OutageGroup, OutageModel  # noqa: E402

Z = 1.959963984540054


def _own_pls(regions, capacity=None):
    return (tuple(Destination(f"pls-{r}", r, capacity) for r in regions),
            tuple(Endpoint(f"pe-{r}", r, f"pls-{r}") for r in regions))


def cases():
    three = ("eastus", "westus2", "centralus")
    four = ("eastus", "westus", "centralus", "northeurope")
    fixed = {"law": "fixed", "hours": 4}
    yield ("one-of-three, fixed 4 h", Deployment(*_own_pls(three)), OutageModel(1.0, fixed),
           "reachable")
    yield ("two-of-four + pair, served", Deployment(*_own_pls(four, 1e6),
                                                    demand_connections=2e6),
           OutageModel(1.0, fixed, groups=(OutageGroup("pair", ("eastus", "westus"), 0.1,
                                                       fixed),)), "served")
    yield ("two regions, lognormal", Deployment(*_own_pls(three[:2])),
           OutageModel(0.5, {"law": "lognormal", "median_hours": 2, "p95_hours": 8}),
           "reachable")
    yield ("one-of-three, stressed 12/yr", Deployment(*_own_pls(three)),
           OutageModel(12.0, fixed), "reachable")


def _per_trial(result, metric):
    """Mean and per-trial standard deviation of the estimator's terms, from its interval."""
    if metric == "reachable":
        return result.unavailability, result.ci_half_width / Z * math.sqrt(result.trials_run)
    return (1 - result.served_availability,
            result.served_ci_half_width / Z * math.sqrt(result.trials_run))


def _timed(deployment, outages, trials, method, seed):
    start = time.perf_counter()
    result = simulate(deployment, outages, trials=trials, seed=seed, method=method,
                      progress=False)
    return time.perf_counter() - start, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=float, default=262_144)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    trials = int(args.trials)
    print(f"python {platform.python_version()}, {platform.machine()}; {trials:,} trials per "
          f"run, {args.repeats} interleaved repeats (median times)")
    print(f"{'case':30s} {'exact':>9s} {'IS est':>9s} {'IS rel CI':>9s} {'ESS/n':>6s} "
          f"{'plain s/Mtr':>11s} {'IS s/Mtr':>9s} {'var ratio':>10s} {'work ratio':>10s} "
          f"{'t10% plain':>11s} {'t10% IS':>9s} {'speed-up':>9s}")
    for name, deployment, outages, metric in cases():
        exact = exact_unavailability(deployment, outages, metric=metric)
        plain_times, rare_times = [], []
        for repeat in range(args.repeats):  # interleaved repeats
            t, plain = _timed(deployment, outages, trials, "plain", repeat)
            plain_times.append(t)
            t, rare = _timed(deployment, outages, trials, "importance", repeat)
            rare_times.append(t)
        t_plain = statistics.median(plain_times) / trials
        t_rare = statistics.median(rare_times) / trials
        estimate, sd_rare = _per_trial(rare, metric)
        # plain sampling's per-trial variance, E_p[x^2] - u^2, from importance-sampled trials
        kept = simulate(deployment, outages, trials=trials, seed=1000, method="importance",
                        progress=False, keep_trials=True).trials
        column = "downtime_min" if metric == "reachable" else "unserved_min"
        x = kept[column].to_numpy() / MINUTES_PER_YEAR
        var_plain = max((kept["weight"].to_numpy() * x ** 2).mean() - exact ** 2, 0.0)
        var_rare = sd_rare ** 2
        need = lambda var: (Z * math.sqrt(var) / (0.1 * exact)) ** 2  # noqa: E731 trials
        time_plain, time_rare = need(var_plain) * t_plain, need(var_rare) * t_rare
        print(f"{name:30s} {exact:9.3g} {estimate:9.3g} "
              f"{rare.ci_half_width / max(estimate, 1e-300) if metric == 'reachable' else rare.served_ci_half_width / max(estimate, 1e-300):9.2%} "  # noqa: E501
              f"{rare.effective_sample_size / trials:6.2f} {t_plain * 1e6:11.3f} "
              f"{t_rare * 1e6:9.3f} {var_plain / var_rare:10.3g} "
              f"{var_plain * t_plain / (var_rare * t_rare):10.3g} {time_plain:10.3g}s "
              f"{time_rare:8.3g}s {time_plain / time_rare:9.3g}")
        if "stressed" in name:  # plain sampling's own variance, where it can measure it
            _, sd_plain = _per_trial(plain, metric)
            print(f"{'':30s} check: plain variance measured by plain sampling "
                  f"{sd_plain ** 2:.3g}, estimated from importance sampling {var_plain:.3g}; "
                  f"plain estimate {plain.unavailability:.3g}")
    print("var ratio = per-trial variance plain / importance; work ratio = (variance x time "
          "per trial) plain / importance; t10% = time to a 95 % half-width of 10 % of the "
          "exact value; speed-up = t10% plain / t10% importance")


if __name__ == "__main__":
    main()
