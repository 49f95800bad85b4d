"""The failover delay built from its parts: health-probe detection, the DNS change, the
record's remaining time-to-live, and the clients that keep the old answer past it.

An active-passive failover that moves clients by DNS (a traffic manager's answer, or the
``privatelink`` A record) leaves a client on the failed endpoint for, one after the other:

1. **detection**: the endpoint fails at a random phase of the probing interval ``I``; the next
   probe fails after the timeout ``T``, and the endpoint is marked unhealthy at the failure
   after the ``k`` tolerated ones: ``phase x I + k x I + T`` (Azure Traffic Manager [1]);
2. **the DNS change**: the new answer reaches the name servers within ``P`` seconds (uniform
   on ``[0, P]``; Azure DNS says changes typically appear within 60 s [2]);
3. **the remaining TTL**: a client's resolver fetched the old answer at a random time before,
   so it keeps it for a time uniform on ``[0, TTL]``;
4. **overstay**: a share of clients keeps the old answer past its expiry (resolvers that
   extend TTLs, operating-system and application caches, reused connections), for a shifted
   exponential time. The default share and times come from the only client-level measurement
   found [3] (10 % of requests still on the old answer 40 s past a 20 s TTL, 2 % of users
   after 15 minutes); 8.74 % of resolvers extend TTLs [4].

The delay is the sum of the four (independent) parts: :func:`failover_delay_law` returns its
law, an :class:`~plcapacity.outages.laws.EmpiricalDuration` on a fixed lattice of
equally likely points (deterministic, no random numbers). One draw is the delay of a randomly
chosen client: its mean is the expected client-weighted gap of a failover. The figures and
their sources are in ``data/failover_delay.csv``; docs/failover.md shows the law for a few TTLs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from plcapacity.base.limits import read_reference
from plcapacity.base.validation import check_number
from plcapacity.outages.laws import EmpiricalDuration

__all__ = ["DELAY_PART_KEYS", "BuiltDelay", "default_delay_parts", "failover_delay_law"]

#: The parts a built delay takes, as ``failover_delay_law`` arguments and ``[failover]`` keys.
DELAY_PART_KEYS = ("dns_ttl_s", "probe_interval_s", "tolerated_failures", "probe_timeout_s",
                   "dns_propagation_s", "overstay_share", "overstay_min_s", "overstay_mean_s")

#: Points of the lattice the law is built on (a prime), and its generator: point ``j`` takes
#: stratum ``j * GENERATOR**d mod POINTS`` of part ``d`` (a rank-1 Korobov lattice). Every part
#: gets each of its ``POINTS`` equally likely strata exactly once, so each part's mean is exact;
#: the generator was chosen among all those below ``POINTS / 2`` for the smallest largest
#: distance between the lattice's distribution of a sum of 3 or 4 scaled uniforms and the exact
#: one (0.21 % in probability over six widths, against 0.02 % for one part alone).
POINTS = 4093
GENERATOR = 1410

_SECONDS_PER_HOUR = 3600.0
_WEEK_S = 7 * 24 * 3600.0
_HOUR_S = 3600.0
_DAY_S = 24 * 3600.0


def default_delay_parts() -> dict:
    """The parts a built delay uses when they are not given, from ``data/failover_delay.csv``.

    Returns
    -------
    dict
        ``probe_interval_s`` [s], ``tolerated_failures`` [-], ``probe_timeout_s`` [s] (Azure
        Traffic Manager's defaults), ``dns_propagation_s`` [s] (Azure DNS), and
        ``overstay_share`` [-], ``overstay_min_s`` [s], ``overstay_mean_s`` [s] fitted to
        Flavel et al. (see Notes). ``dns_ttl_s`` has no default.

    Notes
    -----
    Overstaying clients keep the old answer for ``overstay_min_s`` plus an exponential time
    past its expiry. Flavel et al. saw a share ``s1`` of requests still on the old answer
    ``t1`` seconds after a change made with a TTL of ``ttl`` seconds, and ``s2`` of users at
    ``t2``. Taking every client still stale at ``t1`` as overstaying, and measuring from the
    TTL's end: ``overstay_share = s1``, ``overstay_min_s = t1 - ttl`` and the exponential part
    falls from ``s1`` to ``s2`` over ``t2 - t1``, a mean of ``(t2 - t1) / ln(s1 / s2)``.

    References
    ----------
    .. [1] Traffic Manager endpoint monitoring,
       https://learn.microsoft.com/azure/traffic-manager/traffic-manager-monitoring
    .. [2] Azure DNS FAQ, "How long does it take for DNS changes to take effect?",
       https://learn.microsoft.com/azure/dns/dns-faq
    .. [3] A. Flavel, P. Mani, D. A. Maltz, "Re-evaluating the responsiveness of DNS-based
       network control", IEEE LANMAN 2014, https://doi.org/10.1109/LANMAN.2014.7028641

    Examples
    --------
    >>> parts = default_delay_parts()
    >>> parts["probe_interval_s"], parts["tolerated_failures"], parts["probe_timeout_s"]
    (30.0, 3, 10.0)
    """
    table = read_reference("failover_delay.csv").set_index("name")["value"].astype(float)
    ttl, t1, t2 = table["flavel_ttl_s"], table["flavel_t1_s"], table["flavel_t2_s"]
    s1, s2 = table["flavel_stale_share_t1"], table["flavel_stale_share_t2"]
    overstay_min = t1 - ttl
    return {
        "probe_interval_s": float(table["tm_probe_interval_s"]),
        "tolerated_failures": int(table["tm_tolerated_failures"]),
        "probe_timeout_s": float(table["tm_probe_timeout_s"]),
        "dns_propagation_s": float(table["azure_dns_propagation_s"]),
        "overstay_share": float(s1),
        "overstay_min_s": float(overstay_min),
        "overstay_mean_s": float(overstay_min + (t2 - t1) / math.log(s1 / s2)),
    }


@dataclass(frozen=True, eq=False, repr=False)
class BuiltDelay(EmpiricalDuration):
    """A failover delay law built from its parts by :func:`failover_delay_law`: an
    :class:`~plcapacity.outages.laws.EmpiricalDuration` (``hours``: its equally likely points)
    that also keeps the ``parts`` it was built from, and shows them.
    """

    parts: tuple = ()

    def __repr__(self):
        shown = ", ".join(f"{key}={value:g}" for key, value in self.parts)
        return f"failover_delay_law({shown})"

    def quantile_minutes(self, q):
        """The delay's ``q``-quantile(s) (``q`` from 0 to 1). [min]"""
        return np.quantile(self._minutes, q)

    def describe(self) -> str:
        parts = dict(self.parts)
        return (f"built from its parts (DNS TTL {parts['dns_ttl_s']:g} s, probes every "
                f"{parts['probe_interval_s']:g} s, {parts['overstay_share']:.3g} of clients "
                f"overstaying), mean {self.mean_minutes:.3g} min")


def _ranges():
    week = f"{_WEEK_S:,.0f} (a week)"
    return {
        "dns_ttl_s": (0, _WEEK_S, f"a number of seconds from 0 to {week}"),
        "probe_interval_s": (0, _HOUR_S, "a number of seconds from 0 to 3,600 (Traffic "
                                          "Manager: 30, or 10 with fast probing)"),
        "tolerated_failures": (0, 100, "a whole number from 0 to 100 (Traffic Manager: 0 to 9)"),
        "probe_timeout_s": (0, _HOUR_S, "a number of seconds from 0 to 3,600 (Traffic Manager: "
                                         "5 to 10)"),
        "dns_propagation_s": (0, _HOUR_S, "a number of seconds from 0 to 3,600"),
        "overstay_share": (0, 1, "a share from 0 to 1"),
        "overstay_min_s": (0, _DAY_S, "a number of seconds from 0 to 86,400 (a day)"),
        "overstay_mean_s": (0, _WEEK_S, f"a number of seconds from overstay_min_s to {week}"),
    }


def failover_delay_law(*, dns_ttl_s, probe_interval_s=None, tolerated_failures=None,
                       probe_timeout_s=None, dns_propagation_s=None, overstay_share=None,
                       overstay_min_s=None, overstay_mean_s=None, where=None) -> BuiltDelay:
    """The law of a DNS-based failover delay, built from its parts.

    Parameters
    ----------
    dns_ttl_s : float
        TTL of the DNS answer clients use to find the endpoint (the ``privatelink`` A record,
        or the traffic manager's answer). [s] From 0 to 604,800 (a week).
    probe_interval_s : float, optional
        Health-probe interval. [s] Default: Traffic Manager's 30 s. 0: no probing delay.
    tolerated_failures : int, optional
        Consecutive probe failures tolerated before the endpoint is marked unhealthy (it is at
        the next one). [-] Default: Traffic Manager's 3.
    probe_timeout_s : float, optional
        Time a probe waits before it counts as failed. [s] Default: Traffic Manager's 10 s.
    dns_propagation_s : float, optional
        Longest time for the new answer to reach the name servers; the time is uniform on
        ``[0, dns_propagation_s]``. [s] Default: Azure DNS's 60 s.
    overstay_share : float, optional
        Share of clients that keep the old answer past its TTL. [-] Default 0.10 (Flavel et
        al., :func:`default_delay_parts`). Applied as ``round(overstay_share x POINTS)`` of the
        law's ``POINTS`` points.
    overstay_min_s, overstay_mean_s : float, optional
        Shortest and mean time those clients keep it past its expiry (``overstay_min_s`` plus an
        exponential time). [s] Defaults fitted to Flavel et al.: 40 s and about 562 s.
    where : str, optional
        Where the values come from (such as ``"[failover]"``), for error messages.

    Returns
    -------
    BuiltDelay
        An :class:`~plcapacity.outages.laws.EmpiricalDuration` of ``POINTS`` equally likely
        delays [h] (``sample`` gives minutes, ``mean_minutes`` the mean [min]), also holding
        ``parts``; ``quantile_minutes(q)`` gives its quantiles [min]. Pass it as
        ``Failover(..., delay=...)``; ``[failover] dns_ttl_s = ...`` builds it from a
        deployment file.

    Raises
    ------
    ValueError
        For a value out of its range (the message names the field, the value and the range),
        or parts that make the delay 0 for some clients (give a positive TTL, probe interval,
        timeout or propagation time).

    Notes
    -----
    The parts are independent: the law's mean is the sum of their means, ``I (k + 1/2) + T +
    P / 2 + TTL / 2 + share x overstay_mean_s`` (exactly, with the share rounded to the
    lattice). Detection and the DNS change are shared by all clients of one failover, the
    remaining TTL and the overstay are per client; one draw per failover therefore has the
    right mean gap but more spread between failovers than a real one. Manual steps (approving
    connections, changing records by hand) are not part of it: the default assumption of
    docs/failover.md covers them.

    References
    ----------
    .. [1] Traffic Manager endpoint monitoring (probing interval, tolerated failures, probe
       timeout, the failover timeline),
       https://learn.microsoft.com/azure/traffic-manager/traffic-manager-monitoring
    .. [2] Azure DNS FAQ, "How long does it take for DNS changes to take effect?",
       https://learn.microsoft.com/azure/dns/dns-faq
    .. [3] A. Flavel, P. Mani, D. A. Maltz, "Re-evaluating the responsiveness of DNS-based
       network control", IEEE LANMAN 2014, https://doi.org/10.1109/LANMAN.2014.7028641
    .. [4] P. Bhowmick, M. I. Ashiq, C. Deccio, T. Chung, "TTL Violation of DNS Resolvers in
       the Wild", PAM 2023, LNCS 13882, https://doi.org/10.1007/978-3-031-28486-1_23

    Examples
    --------
    >>> law = failover_delay_law(dns_ttl_s=300)
    >>> round(law.mean_minutes, 1), round(float(law.quantile_minutes(0.5)), 1)   # [min]
    (5.9, 5.2)
    >>> failover_delay_law(dns_ttl_s=60, overstay_share=0, dns_propagation_s=0)
    failover_delay_law(dns_ttl_s=60, probe_interval_s=30, tolerated_failures=3, \
probe_timeout_s=10, dns_propagation_s=0, overstay_share=0, overstay_min_s=40, \
overstay_mean_s=561.921)
    """
    given = {"dns_ttl_s": dns_ttl_s, "probe_interval_s": probe_interval_s,
             "tolerated_failures": tolerated_failures, "probe_timeout_s": probe_timeout_s,
             "dns_propagation_s": dns_propagation_s, "overstay_share": overstay_share,
             "overstay_min_s": overstay_min_s, "overstay_mean_s": overstay_mean_s}
    defaults = default_delay_parts()
    parts = {}
    for key, (low, high, allowed) in _ranges().items():
        value = given[key] if given[key] is not None or key not in defaults else defaults[key]
        if key == "overstay_mean_s":
            low = parts["overstay_min_s"]
            allowed = allowed.replace("overstay_min_s", f"overstay_min_s ({low:g})")
        parts[key] = check_number(value, key, low, high, integer=key == "tolerated_failures",
                                  allowed=allowed, where=where)
    seconds = _delay_seconds(**parts)
    if not (seconds > 0).all():
        prefix = f"{where}: " if where else ""
        raise ValueError(f"{prefix}these parts make the delay 0 for some clients: give a "
                         "positive dns_ttl_s, probe_interval_s, probe_timeout_s or "
                         "dns_propagation_s (or no delay at all: delay_minutes = 0)")
    return BuiltDelay(tuple((seconds / _SECONDS_PER_HOUR).tolist()), tuple(parts.items()))


def _delay_seconds(*, dns_ttl_s, probe_interval_s, tolerated_failures, probe_timeout_s,
                   dns_propagation_s, overstay_share, overstay_min_s, overstay_mean_s):
    """The law's ``POINTS`` equally likely delays. [s]

    Part ``d`` of point ``j`` takes stratum ``k = j * GENERATOR**d mod POINTS`` of its law,
    at the stratum's mean: ``(k + 1/2) / POINTS`` of its width for the uniform parts; for the
    overstay, the first ``round(share x POINTS)`` strata overstay, by the mean of an exponential
    over their own strata.
    """
    j = np.arange(POINTS, dtype=np.int64)
    strata = [(j * pow(GENERATOR, d, POINTS)) % POINTS for d in range(4)]
    middle = [(k + 0.5) / POINTS for k in strata]
    detection = (tolerated_failures + middle[0]) * probe_interval_s + probe_timeout_s
    propagation = middle[1] * dns_propagation_s
    remaining_ttl = middle[2] * dns_ttl_s
    overstay = np.zeros(POINTS)
    staying = int(round(overstay_share * POINTS))
    if staying:
        index = strata[3][strata[3] < staying]
        overstay[strata[3] < staying] = overstay_min_s + (
            (overstay_mean_s - overstay_min_s) * _exponential_stratum_mean(index, staying))
    return detection + propagation + remaining_ttl + overstay


def _exponential_stratum_mean(index, strata):
    """Mean of a unit exponential over probability stratum ``[index, index + 1] / strata``:
    ``strata x (G(b) - G(a))`` with ``G(u) = (1 - u) ln(1 - u) + u``, an antiderivative of its
    quantile ``-ln(1 - u)`` (``G(1) = 1``)."""
    def antiderivative(u):
        rest = 1.0 - u
        safe = np.where(rest > 0, rest, 1.0)
        return np.where(rest > 0, rest * np.log(safe), 0.0) + u
    low, high = index / strata, (index + 1) / strata
    return strata * (antiderivative(high) - antiderivative(low))
