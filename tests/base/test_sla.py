"""SLA: month boundaries of a 365-day year and service-credit tiers."""

import numpy as np
import pytest

from plcapacity.base.sla import MONTH_DAYS, SLA, month_edges_minutes


def test_month_edges():
    edges = month_edges_minutes(2)
    assert edges.size == 25 and edges[0] == 0
    assert edges[1] == 31 * 1440 and edges[2] == (31 + 28) * 1440
    assert edges[12] == 365 * 1440 and edges[24] == 2 * 365 * 1440
    assert sum(MONTH_DAYS) == 365


def test_credit_tiers_from_data():
    # docs/azure-facts.md: 10 % credit below 99.99 %, 25 % below 99 % (tiers are data, data/sla.csv)
    sla = SLA.private_link()
    assert sla.slo_percent == 99.99
    np.testing.assert_array_equal(sla.credit_percent([100, 99.995, 99.99, 99.985, 99.0, 98.9]),
                                  [0, 0, 0, 10, 10, 25])
    assert "private-link" in sla.source


def test_yearly_budget():
    # 0.01 % of 525,600 minutes = 52.56 minutes (99.99 % SLA)
    assert SLA.private_link().yearly_budget_minutes == pytest.approx(52.56)


def test_custom_tiers_and_slo():
    sla = SLA(99.9, ((99.9, 5), (95, 50), (99, 20)))
    assert sla.tiers == ((99.9, 5.0), (99.0, 20.0), (95.0, 50.0))
    np.testing.assert_array_equal(sla.credit_percent([99.95, 99.5, 97, 90]), [0, 5, 20, 50])


@pytest.mark.parametrize("kwargs, message", [
    (dict(slo_percent=100, tiers=()), "slo_percent=100 is not allowed"),
    (dict(slo_percent=float("nan"), tiers=()), "slo_percent=nan is not allowed"),
    (dict(slo_percent=99.9, tiers=((101, 10),)), "credit tier"),
    (dict(slo_percent=99.9, tiers=((99, 120),)), "credit tier"),
])
def test_invalid(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SLA(**kwargs)
