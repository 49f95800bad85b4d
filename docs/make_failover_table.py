"""Write the table of built failover delays in docs/failover.md from the code.

The table between the ``failover-delay-table`` markers of docs/failover.md gives the median,
95th and 99th percentiles and mean of :func:`plcapacity.availability.failover_delay_law` for a
few DNS TTLs, with the default parts (Azure Traffic Manager's probing, Azure DNS's propagation,
the overstay fitted to Flavel et al.). ``tests/availability/test_failover_delay.py`` checks that
the committed table is the one this script writes.

Usage::

    python docs/make_failover_table.py            # rewrite the table in docs/failover.md
    python docs/make_failover_table.py --check    # exit 1 if it is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "failover.md"
START, END = "<!-- failover-delay-table:start -->", "<!-- failover-delay-table:end -->"

#: DNS TTLs shown [s]: the A records of a private endpoint's DNS zone group (10 s, reported),
#: and 30 s, 5 minutes and an hour.
TTLS_S = (10, 30, 300, 3600)


def render() -> str:
    """The Markdown table (without the markers)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from plcapacity.availability import failover_delay_law

    lines = ["| DNS TTL [s] | probing | median [min] | p95 [min] | p99 [min] | mean [min] |",
             "|---:|---|---:|---:|---:|---:|"]
    for ttl in TTLS_S:
        for label, probing in (("every 30 s", {}),
                               ("every 10 s, timeout 9 s",
                                {"probe_interval_s": 10, "probe_timeout_s": 9})):
            law = failover_delay_law(dns_ttl_s=ttl, **probing)
            median, p95, p99 = law.quantile_minutes([0.5, 0.95, 0.99])
            lines.append(f"| {ttl:,} | {label} | {median:.1f} | {p95:.1f} | {p99:.1f} | "
                         f"{law.mean_minutes:.1f} |")
    return "\n".join(lines)


def _replaced(text: str, table: str) -> str:
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"{PAGE}: the markers {START} ... {END} are missing")
    return f"{head}{START}\n{table}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = PAGE.read_text(encoding="utf-8")
    new = _replaced(text, render())
    if "--check" in argv:
        if new != text:
            print(f"{PAGE} is out of date: run python docs/make_failover_table.py")
            return 1
        return 0
    PAGE.write_text(new, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
