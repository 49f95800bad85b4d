"""Monthly uptime against the SLA, and the service credit each month earns.

Months are the calendar months of a 365-day year. A month's uptime is
``1 - downtime_in_month / minutes_in_month``; below the SLO it earns the credit of the highest
tier it falls under. The default objective and tiers are the Private Link SLA's, read from
``data/sla.csv`` with their source (flagged uncertain: the SLA text was not retrieved).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plcapacity.base.limits import read_reference
from plcapacity.base.validation import check_number

__all__ = ["SLA", "MONTH_DAYS", "month_edges_minutes"]

#: Days in each calendar month of a 365-day year.
MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def month_edges_minutes(years: int) -> np.ndarray:
    """Minute offsets of the month boundaries over ``years`` years (12 * years + 1 values)."""
    days = np.tile(np.asarray(MONTH_DAYS, dtype=np.int64), years)
    return np.concatenate([[0], np.cumsum(days * 24 * 60)]).astype(float)


@dataclass(frozen=True)
class SLA:
    """A monthly uptime objective with service-credit tiers.

    Parameters
    ----------
    slo_percent : float
        Monthly uptime objective. [%]
    tiers : tuple of (float, float)
        ``(uptime_below_percent, credit_percent)`` pairs: a month whose uptime is below the
        first earns the second (the largest applicable credit counts).
    source : str
        Where the tiers come from.

    Raises
    ------
    ValueError
        For an objective outside (0, 100) % or a tier outside (0, 100] % uptime, [0, 100] %
        credit.

    References
    ----------
    .. [1] SLA for Azure Private Link (99.99 % monthly uptime, service credits),
       https://azure.microsoft.com/support/legal/sla/private-link/v1_0/

    Examples
    --------
    >>> import plcapacity as plc
    >>> sla = plc.SLA.private_link()          # 99.99 %: 10 % credit below it, 25 % below 99 %
    >>> sla.slo_percent, sla.tiers
    (99.99, ((99.99, 10.0), (99.0, 25.0)))
    >>> round(sla.yearly_budget_minutes, 1)   # downtime a 365-day year allows [min]
    52.6
    >>> sla.credit_percent([100.0, 99.95, 98.0]).tolist()   # per month [% of the fee]
    [0.0, 10.0, 25.0]
    """

    slo_percent: float
    tiers: tuple
    source: str = ""

    def __post_init__(self):
        slo = check_number(self.slo_percent, "slo_percent", 0, 100, low_inclusive=False,
                           high_inclusive=False, where="[sla]",
                           allowed="a percentage between 0 and 100 (exclusive)")
        try:
            tiers = tuple(sorted(((float(b), float(c)) for b, c in self.tiers), reverse=True))
        except (TypeError, ValueError):
            raise ValueError(f"[sla] credit tiers {self.tiers!r} are not allowed: pairs of "
                             "numbers (uptime_below_percent, credit_percent)") from None
        for below, credit in tiers:
            if not (0 < below <= 100 and 0 <= credit <= 100):
                raise ValueError(f"[sla] credit tier ({below}, {credit}) is not allowed: "
                                 "uptime_below_percent in (0, 100], credit_percent in [0, 100]")
        object.__setattr__(self, "slo_percent", slo)
        object.__setattr__(self, "tiers", tiers)

    @classmethod
    def private_link(cls, slo_percent=None) -> "SLA":
        """The Private Link SLA from ``data/sla.csv`` (objective = the highest tier)."""
        table = read_reference("sla.csv")
        tiers = tuple(zip(table["uptime_below_percent"], table["credit_percent"]))
        slo = max(b for b, _ in tiers) if slo_percent is None else slo_percent
        return cls(slo, tiers, source=str(table["source"].iloc[0]))

    @property
    def yearly_budget_minutes(self) -> float:
        """Downtime a 365-day year allows at the objective. [min]"""
        return (1 - self.slo_percent / 100) * 365 * 24 * 60

    def credit_percent(self, uptime_percent) -> np.ndarray:
        """Service credit of each month, from its uptime. [% of the monthly fee]"""
        uptime = np.asarray(uptime_percent, dtype=float)
        credit = np.zeros_like(uptime)
        for below, percent in self.tiers:  # a handful of tiers, not a loop over data
            credit = np.where(uptime < below, np.maximum(credit, percent), credit)
        return credit
