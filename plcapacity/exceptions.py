"""Exceptions and warnings raised by plcapacity.

Every error message names what is wrong (the argument or field, the value and, in an array,
its position) and what is allowed, so that a user can fix the input without reading code.
"""


class CapacityWarning(UserWarning):
    """Allowed, but close to or beyond a documented figure (filter it with ``warnings``)."""


class InfeasibleDemandError(ValueError):
    """No deployment within Azure's limits carries the demand.

    Attributes
    ----------
    limit : str
        Name of the limit that cannot be met (a name from ``plcapacity.limits``).
    required : float
        What the demand needs of that limit.
    available : float
        The most that the limit allows.
    """

    def __init__(self, message, *, limit, required, available):
        super().__init__(message)
        self.limit = limit
        self.required = required
        self.available = available


class ModelWarning(UserWarning):
    """A result computed under a stated simplification (filter it with ``warnings``)."""
