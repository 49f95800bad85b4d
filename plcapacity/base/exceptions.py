"""Exceptions and warnings raised by plcapacity.

Every error message names what is wrong (the argument or field, the value and, in an array,
its position) and what is allowed, so that a user can fix the input without reading code.
"""

__all__ = ["CapacityWarning", "InfeasibleDemandError", "ModelWarning", "TableError",
           "BatchInputError", "CheckpointError", "UsageError", "ExactOutOfReach",
           "UnusualExport"]

#: The command's name, as its messages start.
PROGRAM_NAME = "plcapacity"


class CapacityWarning(UserWarning):
    """Allowed, but close to or beyond a documented figure (filter it with ``warnings``).

    Examples
    --------
    >>> import warnings
    >>> import plcapacity as plc
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always", plc.CapacityWarning)
    ...     options = plc.size(1_000)          # one VM is enough, but has no redundancy
    >>> str(caught[0].message)[:36]
    'one backend VM: no redundancy (a VM '

    ``warnings.simplefilter("ignore", plc.CapacityWarning)`` silences them.
    """


class InfeasibleDemandError(ValueError):
    """No deployment within Azure's limits carries the demand.

    Attributes
    ----------
    limit : str
        Name of the limit that cannot be met (a name from ``plcapacity.limits``).
    required : numbers.Real
        What the demand needs of that limit, in its unit (such as [VMs] or [ports]); may be
        a ``fractions.Fraction`` (exact arithmetic): ``int()`` or ``float()`` it to format.
    available : numbers.Real
        The most that the limit allows, in the same unit.

    Examples
    --------
    >>> import plcapacity as plc
    >>> try:
    ...     plc.size(30_000_000_000, consumer_endpoints=8)   # [connections], [PEs]
    ... except plc.InfeasibleDemandError as error:
    ...     print(error.limit, f"{int(error.required):,} > {int(error.available):,}")
    backend_pool_size 36,000,000,000 > 20,480,000,000
    """

    def __init__(self, message, *, limit, required, available):
        super().__init__(message)
        self.limit = limit
        self.required = required
        self.available = available


class ModelWarning(UserWarning):
    """A result computed under a stated simplification (filter it with ``warnings``).

    Examples
    --------
    >>> import warnings
    >>> import plcapacity as plc
    >>> d = plc.regional_deployment("api", "eastus; westus", failover="active-passive",
    ...                             delay_minutes=5)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always", plc.ModelWarning)
    ...     u = plc.exact_unavailability(d, plc.OutageModel(2.0, {"law": "fixed", "hours": 2}))
    >>> str(caught[0].message)[:52]
    'active-passive: exact_unavailability excludes failov'
    """


class TableError(ValueError):
    """A table file cannot be used as a whole (unreadable, too large, wrong shape).

    Examples
    --------
    >>> import pandas as pd
    >>> import plcapacity as plc
    >>> try:
    ...     plc.write_table(pd.DataFrame({"a": [1]}), "table.xlsx")
    ... except plc.TableError as error:
    ...     print(error)
    table.xlsx: output format .xlsx is not allowed: .csv, .parquet or .json
    """


class BatchInputError(TableError):
    """The scenario table as a whole cannot be used (missing or unknown columns, no rows).

    Examples
    --------
    >>> import pandas as pd
    >>> import plcapacity as plc
    >>> try:
    ...     plc.run_batch(pd.DataFrame({"service": ["a"], "connections": [5]}), progress=False)
    ... except plc.BatchInputError as error:
    ...     print(str(error)[:32])
    unknown column(s) 'connections';
    """


class CheckpointError(BatchInputError):
    """The checkpoint cannot be used (corrupt, other settings, or in use by another run)."""


class UsageError(Exception):
    """Bad command-line input (exit code 2).

    ``main`` prints it as ``plcapacity: error: MESSAGE``; a message that names the command
    (``"plcapacity batch: ..."``) keeps the subcommand and loses the program name, so that the
    line starts with ``plcapacity: error:`` once.
    """

    def __init__(self, message=""):
        message = str(message)
        if message.startswith(f"{PROGRAM_NAME} "):
            message = message[len(PROGRAM_NAME) + 1:]
        super().__init__(message)


class ExactOutOfReach(ValueError):
    """The conditioned calculation is out of reach for this deployment."""


class UnusualExport(Exception):
    """A fast reader of exports met something outside the shape it handles (a key in another
    case, a number written as text, a value out of range ...): the general reader, with its
    checks and messages, reads the file instead. Never reaches users."""
