"""Batch runs: a table of services in, each sized and (with regions) simulated.

One row per Private Link service (the columns: :mod:`plcapacity.batch.scenarios`). Rows are
independent: a row's failure of any kind is that row's ``error`` and the others are still
computed. Each row's random numbers derive from the batch seed and the row's service name, so a
row's numbers do not change when other rows are added, removed or reordered, nor with the
number of workers or the Dask cluster that ran them.

Sizing is vectorized over all rows at once (:func:`plcapacity.capacity.sizing.size_rows`, the core of
:func:`plcapacity.size_table`); the availability simulations are independent tasks, run on the
machine's cores or on a Dask cluster (:mod:`plcapacity.base.execution`), submitted a few at a time
so that memory stays bounded whatever the number of trials. A checkpoint
(:mod:`plcapacity.batch.checkpoint`) lets a stopped run resume where it stopped and end with the same
results as an uninterrupted run; output files are written atomically, and the checkpoint is
removed only once they are in place.
"""

from __future__ import annotations

import dataclasses
import hashlib
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, wait
from pathlib import Path

import numpy as np
import pandas as pd

from plcapacity.availability.budget import (
    MAX_TRIAL_YEARS,
    MAX_YEARS_PER_TRIAL,
    check_simulation_memory,
    check_simulation_work,
)
from plcapacity.availability.results import exact_figures, shown_fraction
from plcapacity.availability.simulation import (
    BLOCK_TRIALS,
    block_summaries,
    choose_method,
    result_from_summaries,
    seed_sequence,
)
from plcapacity.availability.structure import compile_structure
from plcapacity.base.exceptions import BatchInputError
from plcapacity.base.execution import (
    check_workers,
    executor_for,
    isolated_executor,
    stop,
    tasks_in_flight,
)
from plcapacity.base.files import write_target
from plcapacity.base.limits import get_limits
from plcapacity.base.progress import progress_bar
from plcapacity.base.results import TableResult, table_of
from plcapacity.base.tables import same_file, write_table
from plcapacity.base.validation import check_number, count_text, short_repr
from plcapacity.batch.checkpoint import Checkpoint
from plcapacity.batch.scenarios import (
    DEFAULT_OUTAGE_PROFILE,
    RESULT_COLUMNS,
    ScenarioRows,
    availability_specs,
    read_scenarios,
)
from plcapacity.capacity.sizing import as_counts, size_rows, validate_demands
from plcapacity.outages.profiles import outage_profiles

__all__ = ["run_batch", "BatchResults", "batch_overview", "write_results", "simulate_task"]

#: Blocks of 65,536 trials in one task: big enough to amortize a task, small enough to spread.
_BLOCKS_PER_TASK = 8


def _row_seed(entropy, service) -> np.random.SeedSequence:
    """The row's root seed: the batch entropy and a hash of the service name (stable across
    machines and Python versions, unlike ``hash()``)."""
    digest = hashlib.sha256(str(service).encode("utf-8")).digest()
    words = [int.from_bytes(digest[k:k + 4], "little") for k in range(0, 16, 4)]
    base = list(entropy) if isinstance(entropy, (list, tuple)) else [int(entropy)]
    return np.random.SeedSequence([*base, *words])


def _batch_entropy(seed):
    """The entropy every row seed derives from, from what :func:`plcapacity.simulate` takes."""
    root = seed_sequence(seed)
    if root.spawn_key:  # a spawned child: its key is part of its identity
        base = list(root.entropy) if isinstance(root.entropy, (list, tuple)) else [root.entropy]
        return [*base, *root.spawn_key]
    return root.entropy


def _row_key(service, deployment, outages, trials, years, entropy, method="plain"):
    """What a row's simulated numbers depend on (its seed comes from the service name, its
    estimator from the model), hashed: a checkpoint line is reused only when this matches."""
    key = (str(service), deployment, outages, trials, years, entropy)
    text = repr(key if method == "plain" else (*key, method))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def simulate_task(deployment, outages, years, seed, blocks, with_figures, trials=None,
                  method="plain"):
    """One task: some blocks of one row (and the row's exact figures, once per row).

    With ``trials`` (the task holds all of the row's blocks), the row's result columns are
    computed here too, so that the worker, not the coordinating process, does that work.
    ``method`` is the row's estimator (:func:`plcapacity.availability.simulation.choose_method`:
    importance sampling for rows too available for plain sampling to measure).
    """
    figures = exact_figures(deployment, outages) if with_figures else None
    summaries = block_summaries(deployment, outages, years=years, seed=seed, blocks=blocks,
                                method=method)
    if trials is not None:
        return "columns", _availability_columns(deployment, outages, summaries, figures,
                                                years, seed, trials)
    return figures, summaries


#: The availability results that are text (the others are numbers).
_TEXT_RESULTS = ("outage_profile", "failover_delay", "availability_note")


def _availability_columns(deployment, outages, summaries, figures, years, seed, trials):
    result = result_from_summaries(deployment, outages, summaries, years=years, seed=seed,
                                   figures=figures)
    summary = result.summary()
    return {
        "exact_availability": summary["exact_availability"],
        "availability": result.availability,
        "availability_ci_low": result.ci[0],
        "availability_ci_high": result.ci[1],
        "served_availability": result.served_availability,
        "served_availability_ci_low": result.served_availability_ci[0],
        "served_availability_ci_high": result.served_availability_ci[1],
        "mean_annual_downtime_min": summary["mean_annual_downtime_min"],
        "p99_annual_downtime_min": summary["p99_annual_downtime_min"],
        "p_month_below_slo": summary["p_month_below_slo"],
        "expected_credit_percent": summary["expected_credit_percent"],
        "slo_percent": deployment.sla.slo_percent,
        "trials": trials * years,
        "outage_profile": result.outage_model,
        "failover_delay": result.failover_delay,
        "availability_note": summary["note"],
    }


def _task_groups(trials):
    """``[(block_index, n), ...]`` groups of a row's blocks, made lazily (no list of every
    block: a row of 10^13 trials must not build one up front)."""
    n_blocks = -(-trials // BLOCK_TRIALS)
    for first in range(0, n_blocks, _BLOCKS_PER_TASK):
        yield [(b, min(BLOCK_TRIALS, trials - b * BLOCK_TRIALS))
               for b in range(first, min(first + _BLOCKS_PER_TASK, n_blocks))]


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class BatchResults(TableResult):
    """The results of a batch run, one row per service: what :func:`run_batch` returns.

    The results read like their :attr:`table` (``results["status"]``, ``results.loc[...]``,
    ``len(results)``; see :class:`~plcapacity.base.results.TableResult`), and carry the seed
    that reproduces the run and the number of rows that failed as plain attributes, not in
    ``DataFrame.attrs``. Use ``results.table`` where a DataFrame itself is needed
    (``pd.concat``); :func:`batch_overview`, :func:`write_results`, the batch report and the
    plots take either.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per input row, the columns of :data:`plcapacity.batch.scenarios.RESULT_COLUMNS`
        (plus passed-through columns).
    seed_entropy : int or list of int, optional
        The entropy of the batch seed (:class:`numpy.random.SeedSequence`); ``run_batch(...,
        seed=seed_entropy)`` repeats the run. None: not recorded.
    failed_rows : int, optional
        Rows that were not computed (``status`` ``error`` or ``infeasible``). Default:
        counted from the table's ``status`` column (0 without one).

    Attributes
    ----------
    table : pandas.DataFrame
        The results (units per column in :data:`plcapacity.batch.scenarios.RESULT_COLUMNS`).
    seed_entropy : int, list of int or None
        The batch seed's entropy [-]: a fresh 128-bit number when no seed was given.
    failed_rows : int
        Rows not computed. [rows]

    Examples
    --------
    >>> import pandas as pd
    >>> import plcapacity as plc
    >>> services = pd.DataFrame({"service": ["orders", "typo"],
    ...                          "concurrent_connections": ["2000000", "lots"]})
    >>> results = plc.run_batch(services, seed=7, progress=False)   # sizing only: no regions
    >>> results.seed_entropy, results.failed_rows                   # [-], [rows]
    (7, 1)
    >>> list(results["status"]), int(results.loc[0, "backend_vms"])  # the table, as before
    (['ok', 'error'], 5)
    """

    table: pd.DataFrame
    seed_entropy: int | list | None = None
    failed_rows: int | None = None

    def __post_init__(self):
        if not isinstance(self.table, pd.DataFrame):
            raise TypeError(f"BatchResults.table is {type(self.table).__name__}, not a pandas "
                            "DataFrame")
        failed = self.failed_rows
        if failed is None:
            failed = (self.table["status"] != "ok").sum() if "status" in self.table else 0
        object.__setattr__(self, "failed_rows", int(failed))


class _Row:
    """A row's simulation in progress: its parts, collected as they finish."""

    def __init__(self, key, seed, deployment, outages, parts):
        self.key, self.seed = key, seed
        self.deployment, self.outages = deployment, outages
        self.parts = parts
        self.summaries, self.figures = [], None
        self.method = "plain"


def run_batch(scenarios, *, trials=100_000, years=1, seed=None, scheduler=None,
              on_error="collect", passthrough=False, workers=None, progress=None,
              checkpoint=None, resume=False, output=None, limits=None,
              allow_outside_paths=False, outage_profile=DEFAULT_OUTAGE_PROFILE):
    """Size every service of a table and, where it has regions, simulate its availability.

    Parameters
    ----------
    scenarios : DataFrame or path
        One row per service; columns in :data:`plcapacity.batch.scenarios.COLUMNS` (CSV, Parquet or
        JSON file).
    trials : int, default 100,000
        Simulated trials per row with availability. [-]
    years : int, default 1
        Years per trial. [yr]
    seed : None, int, SeedSequence or Generator
        Batch seed (what :func:`plcapacity.simulate` accepts); each row's seed derives from it
        and the row's service name. Without it, fresh entropy (recorded in
        :attr:`BatchResults.seed_entropy`).
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``tcp://host:8786``) or client: rows and Monte Carlo blocks
        run on that cluster, with numbers identical to a local run. Default: this machine's
        cores.
    on_error : {"collect", "raise"}
        ``collect``: a bad row gets an ``error`` and the others are computed; ``raise``: stop
        at the first bad row with its message.
    passthrough : bool
        Keep unknown columns (copied to the output) instead of rejecting them.
    workers : int, optional
        Local processes (default: the machine's cores).
    progress : bool, optional
        Progress bar (tqdm); default on for long runs in a terminal.
    checkpoint : path, optional
        File recording finished rows; with ``resume=True`` a stopped run continues from it.
        It is locked while the run writes it, and removed when the run ends (after
        ``output`` is written, when given).
    output : path, optional
        Write the results there (``.csv``, ``.parquet`` or ``.json``, atomically; through a
        symbolic link, to the file it leads to). Refused, before any work, when it is the
        input table itself (under any name or link).
    limits : Limits, optional
        Reference limits (default :func:`plcapacity.get_limits`).
    allow_outside_paths : bool
        Let ``deployment`` cells name files outside the table's folder.
    outage_profile : str, default "azure-datapath-2018-2019"
        Outage model of rows that name none (see :func:`plcapacity.outage_profile`): fitted
        to the Azure status incidents that touch the data path. ``"azure-status-2018-2020"``
        counts every incident (an upper bound). ``"sla-calibrated"`` calibrates each row to its own
        ``slo_percent`` (the answer then restates the objective: for comparison only).

    Returns
    -------
    BatchResults
        Reads like its table: one row per input row, in input order; columns in
        :data:`plcapacity.batch.scenarios.RESULT_COLUMNS` (plus passed-through columns).
        :attr:`BatchResults.seed_entropy` and :attr:`BatchResults.failed_rows` say how to
        repeat the run and how many rows failed. (Deprecated, until 0.3.0:
        ``results.table.attrs`` repeats both.)

    Raises
    ------
    BatchInputError
        When the table cannot be used at all (missing/unknown columns, no rows).
    ValueError
        With ``on_error="raise"``, for the first bad row; for bad arguments.

    Examples
    --------
    >>> import pandas as pd
    >>> import plcapacity as plc
    >>> services = pd.DataFrame({"service": ["orders", "search"],
    ...                          "concurrent_connections": [2_000_000, 50_000],   # [connections]
    ...                          "pe_regions": ["eastus;westus2", ""]})
    >>> results = plc.run_batch(services, trials=1_000, seed=7, progress=False)
    >>> results[["service", "status", "pls_count", "nat_ips", "backend_vms", "binding_limit"]]
      service status  pls_count  nat_ips  backend_vms   binding_limit
    0  orders     ok          1        8            5  vm_connections
    1  search     ok          1        1            1       nat_ports
    >>> float(round(results.loc[0, "exact_availability"], 4))   # "search" has no regions: NaN
    0.9983
    """
    if on_error not in ("collect", "raise"):
        raise ValueError(f"on_error={on_error!r} is not allowed: 'collect' or 'raise'")
    workers = check_workers(workers)
    trials = check_number(trials, "trials", 1, integer=True)
    years = check_number(years, "years", 1, MAX_YEARS_PER_TRIAL, integer=True)
    if trials * years > MAX_TRIAL_YEARS:
        raise ValueError(f"trials={count_text(trials)} x years={count_text(years)} is not "
                         "allowed: at most "
                         f"{MAX_TRIAL_YEARS:,} trial-years per row")
    known = outage_profiles()["name"].tolist()
    if outage_profile not in known:  # the argument's error, not every row's column error
        raise ValueError(f"outage_profile={short_repr(outage_profile)} is not allowed: one of "
                         f"{', '.join(known)}")
    source = None if isinstance(scenarios, pd.DataFrame) else scenarios
    if output is not None and source is not None and same_file(output, source):
        raise BatchInputError(f"output {output} is the input table itself; choose another "
                              "file name (the input is never overwritten)")
    if output is not None and Path(output).is_dir():
        raise BatchInputError(f"output {output} is a folder; give a file name ending in .csv, "
                              ".parquet or .json")
    if output is not None:
        write_target(output)  # a link in a loop or to a device: refused now, not after the run
    entropy = _batch_entropy(seed)
    frame = scenarios if isinstance(scenarios, pd.DataFrame) else read_scenarios(scenarios)
    lim = limits or get_limits()
    rows = ScenarioRows(frame, passthrough)
    demand = validate_demands(rows, lim)
    sizing, infeasible = size_rows(demand, rows.ok, lim)
    status = np.where(rows.ok, "ok", "error").astype(object)
    planned = rows.text("plan_regions") != ""  # sized by plan, over several regions
    for i, message in infeasible.items():
        if not planned[i]:
            rows.errors[i].append(f"infeasible: {message}")
            status[i] = "infeasible"
    sizing["concurrent"] = demand["concurrent_connections"]
    sizing["demand"] = demand
    sizing["planned_regions"] = np.full(rows.n, "", dtype=object)
    specs = availability_specs(rows, sizing, status, allow_outside_paths=allow_outside_paths,
                               outage_profile=outage_profile, limits=lim)
    if on_error == "raise" and not rows.ok.all():
        raise ValueError(rows.messages()[np.flatnonzero(~rows.ok)[0]])

    store = Checkpoint(checkpoint, dict(entropy=entropy, trials=trials, years=years,
                                        seed_given=seed is not None), resume,
                       text_columns=_TEXT_RESULTS)
    try:
        availability = _simulate_rows(rows, specs, store, trials, years, scheduler, workers,
                                      progress)
        result = _result_table(rows, sizing, status, availability, store.entropy)
        if output is not None:
            write_results(result, output)
        store.remove()
    finally:
        store.close()
    return BatchResults(result, store.entropy, int((result["status"] != "ok").sum()))


def _simulate_rows(rows, specs, store, trials, years, scheduler, workers, progress):
    """Run the rows' simulations (or take them from the checkpoint); a failing task is its
    row's error. Returns ``{row: result columns}``."""
    availability = {}
    pending_rows = {}
    for i, (deployment, outages) in specs.items():
        if rows.errors[i]:
            continue
        try:  # refuse, as the row's error, what would not fit in memory
            processes = compile_structure(deployment, outages).processes
            check_simulation_memory(processes, years, min(trials, BLOCK_TRIALS))
            check_simulation_work(processes, years, trials)
        except ValueError as error:
            rows.errors[i].append(str(error))
            continue
        # rows too available for plain sampling to measure are importance-sampled
        method = choose_method(deployment, outages, trials=trials, years=years)
        key = _row_key(rows.service[i], deployment, outages, trials, years, store.entropy,
                       method)
        if key in store.done:
            availability[i] = store.done[key]
            continue
        pending_rows[i] = _Row(key, _row_seed(store.entropy, rows.service[i]), deployment,
                               outages, -(-trials // (BLOCK_TRIALS * _BLOCKS_PER_TASK)))
        pending_rows[i].method = method

    def tasks():
        for i, row in pending_rows.items():
            whole = trials if row.parts == 1 else None
            for g, group in enumerate(_task_groups(trials)):
                yield (i, g), (row.deployment, row.outages, years, row.seed, group, g == 0,
                               whole, row.method)

    n_tasks = sum(row.parts for row in pending_rows.values())
    pool = {"executor": executor_for(scheduler, workers, n_tasks)}
    window = tasks_in_flight(scheduler, workers)
    bar = progress_bar(progress, n_tasks, unit="task", desc="batch", at_least=4)
    queue = tasks()
    running = {}
    retried = {}  # task -> the one-worker pool it is tried again in

    def submit(key, args):
        try:
            future = pool["executor"].submit(simulate_task, *args)
        except BrokenExecutor:
            # a worker died (killed from outside, or by the system for memory): go on in a
            # fresh pool; the tasks that were running in the broken one are tried once more
            stop(pool["executor"])
            pool["executor"] = executor_for(scheduler, workers, n_tasks)
            future = pool["executor"].submit(simulate_task, *args)
        running[future] = (key, args)

    def fill():
        for key, args in queue:
            if key[0] in pending_rows and pending_rows[key[0]].parts < 0:
                continue  # the row already failed
            submit(key, args)
            if len(running) >= window:
                return

    try:
        fill()
        while running:
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in finished:
                key, args = running.pop(future)
                i = key[0]
                row = pending_rows[i]
                if row.parts < 0:
                    continue
                error = future.exception()
                if isinstance(error, BrokenExecutor) and key not in retried:
                    # maybe another task's worker died: once more, alone in a fresh worker
                    retried[key] = isolated_executor()
                    running[retried[key].submit(simulate_task, *args)] = (key, args)
                    continue
                if bar is not None:
                    bar.update(1)
                if error is not None:
                    why = (" (its worker process died: killed, or out of memory)"
                           if isinstance(error, BrokenExecutor) else "")
                    rows.errors[i].append(f"simulation failed: "
                                          f"{str(error).strip() or type(error).__name__}{why}")
                    row.parts = -1
                    continue
                figures, summaries = future.result()
                if figures == "columns":  # the worker finished the whole row
                    availability[i] = summaries
                    store.add(row.key, summaries)
                    continue
                row.summaries.extend(summaries)
                if figures is not None:
                    row.figures = figures
                row.parts -= 1
                if row.parts == 0:
                    try:
                        availability[i] = _availability_columns(
                            row.deployment, row.outages, row.summaries, row.figures, years,
                            row.seed, trials)
                        store.add(row.key, availability[i])
                    except Exception as error:  # noqa: BLE001 (the row's failure)
                        rows.errors[i].append(f"simulation failed: {error}")
            fill()
    except BaseException:  # Ctrl-C or a failure of the run itself: stop the workers now
        for executor in (pool["executor"], *retried.values()):
            stop(executor)
        raise
    else:
        for executor in (pool["executor"], *retried.values()):
            executor.shutdown(wait=True)
    finally:
        if bar is not None:
            bar.close()
    return availability


def _result_table(rows, sizing, status, availability, entropy):
    ok = rows.ok
    status = np.where(ok, status, np.where(status == "infeasible", "infeasible", "error"))
    result = pd.DataFrame({"service": rows.service, "status": status,
                           "error": rows.messages()})
    for name in RESULT_COLUMNS:
        if name in sizing and name not in result:
            result[name] = sizing[name]
    result = as_counts(result)
    for name in RESULT_COLUMNS:
        if name in result:
            continue
        values = [availability.get(i, {}).get(name) for i in range(rows.n)]
        result[name] = pd.Series(values, dtype=object if name in _TEXT_RESULTS
                                 else "float64")
    for name in _TEXT_RESULTS:
        result[name] = result[name].fillna("")
    result = result[list(RESULT_COLUMNS)]
    for name in rows.extra:
        result[name] = rows.frame[name].to_numpy()
    # Deprecated (0.2.0, removed in 0.3.0): 0.1's .attrs keys, for readers not yet on
    # BatchResults' attributes.
    result.attrs.update(seed_entropy=entropy, failed_rows=int((~ok).sum()))
    return result


def batch_overview(results) -> pd.DataFrame:
    """The services of a batch run, problems first: the summary ``plcapacity batch`` prints.

    Failed rows first, then the highest chance of a month below the objective, then the
    least served, then the fullest deployments. A row in error shows no sizing.

    Parameters
    ----------
    results : BatchResults or pandas.DataFrame
        From :func:`run_batch` (or its table, read back from a file).

    Returns
    -------
    pandas.DataFrame
        ``service``, ``status``, ``pls x nat x vms``, ``utilization_after_failures`` [0-1],
        ``binding_limit``, ``months_to_ceiling`` [months], ``availability``, ``served``
        (text with six decimals) and ``p_month_below_slo`` (text, %).

    Examples
    --------
    >>> import pandas as pd
    >>> import plcapacity as plc
    >>> services = pd.DataFrame({"service": ["orders", "search"],
    ...                          "concurrent_connections": [2_000_000, 50_000],   # [connections]
    ...                          "pe_regions": ["eastus;westus2", ""]})
    >>> results = plc.run_batch(services, trials=1_000, seed=7, progress=False)
    >>> plc.batch_overview(results)[["service", "status", "pls x nat x vms"]]
      service status pls x nat x vms
    0  orders     ok       1 x 8 x 5
    1  search     ok       1 x 1 x 1
    """
    results = table_of(results)
    served = results["served_availability"]
    order = results.assign(
        _failed=(results["status"] != "ok").astype(int),
        _risk=results["p_month_below_slo"].fillna(-1),
        short_repr=(1 - served).fillna(-1),
        _use=results["utilization_after_failures"].fillna(-1))
    order = order.sort_values(["_failed", "_risk", "short_repr", "_use"], ascending=False,
                              kind="stable")
    ok = (order["status"] == "ok").to_numpy()
    deployment = [f"{int(p)} x {int(n)} x {int(v)}" if good and pd.notna(v) else "-"
                  for good, p, n, v in zip(ok, order["pls_count"], order["nat_ips"],
                                           order["backend_vms"])]
    blank = lambda column: order[column].where(ok)  # noqa: E731 (an error row has no sizing)
    return pd.DataFrame({
        "service": order["service"], "status": order["status"],
        "pls x nat x vms": deployment,
        "utilization_after_failures": blank("utilization_after_failures"),
        "binding_limit": order["binding_limit"].where(ok, ""),
        "months_to_ceiling": blank("months_to_ceiling").round(1),
        "availability": order["availability"].map(_six_decimals, na_action="ignore"),
        "served": served.reindex(order.index).map(_six_decimals, na_action="ignore"),
        "p_month_below_slo": order["p_month_below_slo"].map(_small_percent,
                                                             na_action="ignore"),
    }).reset_index(drop=True)


def _six_decimals(value):
    """Six decimals, more where six would round a measured unavailability away (an
    importance-sampled 0.99999999990 is not 1.000000)."""
    return shown_fraction(value, "{:.6f}")


def _small_percent(value):
    """A percentage with two decimals, or three significant digits below 0.005 %."""
    return shown_fraction(value, "{:.2%}")


def write_results(frame, path):
    """Write results atomically, in the format of the suffix (``.csv``, ``.parquet``,
    ``.json``); see :func:`plcapacity.base.tables.write_table`.

    Parameters
    ----------
    frame : BatchResults or pandas.DataFrame
        Results of :func:`run_batch` (their table is written), or any table.
    path : str or path-like
        Output file; its suffix chooses the format.

    Returns
    -------
    None

    Raises
    ------
    TableError
        For another suffix, or when ``path`` is a folder.

    Examples
    --------
    >>> import pandas as pd
    >>> import plcapacity as plc
    >>> results = pd.DataFrame({"service": ["orders"]})
    >>> plc.write_results(results, "results.parquet")    # doctest: +SKIP
    """
    write_table(frame, path)
