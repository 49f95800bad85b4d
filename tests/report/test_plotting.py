"""Every picture: real matplotlib figures on the Agg backend, labelled axes, closed after."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import plcapacity as plc  # noqa: E402
from plcapacity import plotting  # noqa: E402
from plcapacity.availability.studies import availability_by_region_count  # noqa: E402
from plcapacity.base.limits import data_path  # noqa: E402
from plcapacity.batch.run import run_batch  # noqa: E402


@pytest.fixture(scope="module")
def result():
    deployment, outages = plc.load_deployment(
        data_path("examples/three-region-active-passive.toml"))
    return plc.simulate(deployment, outages, trials=20_000, seed=1)


@pytest.fixture(scope="module")
def batch():
    return run_batch(data_path("examples/services.csv"), trials=2_000, seed=1, workers=1)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def check(ax, xlabel_unit="[", ylabel_unit="["):
    assert isinstance(ax, matplotlib.axes.Axes)
    assert xlabel_unit in ax.get_xlabel() or ax.get_xlabel() == "calendar month"
    assert ylabel_unit in ax.get_ylabel() or ax.get_ylabel() in ("outage process", "service")
    ax.figure.canvas.draw()  # really renders on Agg
    return ax


def test_ceiling_heatmap_marks_binding_limit():
    ax = check(plotting.ceiling_heatmap(nat_ips=[1, 8], backend_vms=[1, 10],
                                        max_connections_per_vm=300_000))
    labels = [t.get_text() for t in ax.texts]
    assert "64k" in labels and "3M*" in labels     # 8 NAT IPs x 10 VMs capped at 3,000,000
    assert len(ax.patches) == 2                    # the two cells where the VM cap binds


def test_ceiling_vs_demand_marks_the_month():
    ax = check(plotting.ceiling_vs_demand(3e6, 1.5e6, growth_per_year=0.4))
    months = 12 * np.log(2) / np.log(1.4)
    assert any(f"{months:.1f} months" in t.get_text() for t in ax.get_legend().get_texts())


def _vertical_lines(ax):
    return {line.get_label(): line.get_xdata()[0] for line in ax.get_lines()
            if len(set(line.get_xdata())) == 1 and not line.get_label().startswith("_")}


def test_ceiling_vs_demand_marks_headroom_and_ceiling_crossings():
    ceiling, demand, headroom, growth = 4_096_000, 2_000_000, 0.2, 0.4
    ax = check(plotting.ceiling_vs_demand(ceiling, demand, headroom=headroom,
                                          growth_per_year=growth, months=36))
    # Compound growth: demand x (1 + g)^(m / 12) = level  <=>  m = 12 ln(level / demand) / ln(1 + g)
    at_ceiling = 12 * np.log(ceiling / demand) / np.log(1 + growth)
    at_headroom = 12 * np.log(ceiling / (demand * (1 + headroom))) / np.log(1 + growth)
    assert at_headroom < at_ceiling
    lines = _vertical_lines(ax)
    assert lines[f"headroom used up in {at_headroom:.1f} months"] == pytest.approx(at_headroom)
    assert lines[f"ceiling in {at_ceiling:.1f} months"] == pytest.approx(at_ceiling)
    assert ax.crossings == pytest.approx({"headroom": at_headroom, "ceiling": at_ceiling})
    # The dashed demand + headroom curve meets the ceiling where the first marker is.
    curve = next(l for l in ax.get_lines() if l.get_label().startswith("demand + "))
    assert np.interp(at_headroom, curve.get_xdata(), curve.get_ydata()) == pytest.approx(
        ceiling, rel=1e-3)


def test_ceiling_vs_demand_when_headroom_is_already_used_or_never_reached():
    ax = check(plotting.ceiling_vs_demand(2_300_000, 2_000_000, headroom=0.2,
                                          growth_per_year=0.4, months=36))
    lines = _vertical_lines(ax)
    assert lines["headroom already used up"] == 0
    assert any(label.startswith("ceiling in ") for label in lines)
    ax = check(plotting.ceiling_vs_demand(4e6, 1e6, headroom=0.2, growth_per_year=0.0))
    assert _vertical_lines(ax) == {} and ax.crossings["ceiling"] == np.inf


def test_ports_and_effective_ceiling_pictures():
    ax = check(plotting.ports_needed_by_rate(100_000, hold_times=(65,)))
    line = ax.get_lines()[0]
    assert np.allclose(line.get_ydata(), 100_000 + line.get_xdata() * 65)
    ax = check(plotting.effective_vs_nominal(backend_vms=(10,), probabilities=[1e-6, 1e-3]))
    ratio = ax.get_lines()[0].get_ydata()
    assert ratio[1] == pytest.approx(plc.effective_ceiling(8, 10) / 5_120_000)
    assert ax.get_xscale() == "log"


def test_downtime_pictures(result):
    ax = check(plotting.downtime_histogram(result))
    budget = result.sla.yearly_budget_minutes
    assert any(np.allclose(l.get_xdata(), budget) for l in ax.get_lines())
    ax = check(plotting.downtime_cdf(result))
    step = ax.get_lines()[0]
    assert step.get_ydata()[-1] == pytest.approx(1.0)
    check(plotting.monthly_slo_misses(result))
    ax = check(plotting.downtime_causes(result))
    assert "eastus" in [t.get_text() for t in ax.get_yticklabels()]


def test_downtime_histogram_axis_fits_the_data(result):
    ax = check(plotting.downtime_histogram(result))
    annual = np.asarray(result.downtime_min) / result.years
    positive = annual[annual > 0]
    budget = result.sla.yearly_budget_minutes
    # Failover gaps of 5 minutes: the years sit at multiples of 5 minutes, well under 10^2.
    low, high = ax.get_xlim()
    assert ax.get_xscale() == "linear" and low == 0
    assert high == pytest.approx(max(np.quantile(positive, 0.999), budget) * 1.1)
    assert high < 100
    # What the axis leaves out is counted in the title, and the bars hold the rest.
    beyond = int((positive > high).sum())
    drawn = sum(patch.get_height() for patch in ax.patches) * annual.size
    assert drawn == pytest.approx(positive.size - beyond)
    if beyond:
        assert f"{beyond:,} years above {high:,.0f} min" in ax.get_title()


def test_downtime_histogram_goes_logarithmic_for_wide_data(result):
    from types import SimpleNamespace
    spread = np.geomspace(0.1, 5_000, 10_000)
    fake = SimpleNamespace(downtime_min=spread, years=1, sla=result.sla)
    ax = check(plotting.downtime_histogram(fake))
    assert ax.get_xscale() == "log"
    low, high = ax.get_xlim()
    assert low <= np.quantile(spread, 0.001) and high >= np.quantile(spread, 0.999)


def _tick_boxes(axis, ax):
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    return [(t.get_text(), t.get_window_extent(renderer)) for t in axis.get_ticklabels()
            if t.get_visible() and t.get_text()]


def test_downtime_cdf_ticks_do_not_collide(result):
    ax = check(plotting.downtime_cdf(result))
    boxes = _tick_boxes(ax.xaxis, ax)
    labels = [text for text, _ in boxes]
    assert labels[0] == "0" and len(set(labels)) == len(labels) >= 3
    assert "10" in labels
    for (_, left), (_, right) in zip(boxes, boxes[1:]):
        assert right.x0 - left.x1 > 5    # pixels between neighbouring labels
    low, high = ax.get_xlim()
    assert low == 0 and high >= np.max(result.downtime_min) / result.years


def test_monthly_slo_misses_legend_does_not_cover_bars(result):
    ax = check(plotting.monthly_slo_misses(result))
    renderer = ax.figure.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    bars = [patch.get_window_extent(renderer) for patch in ax.patches]
    assert len(bars) == 12
    assert not any(legend.overlaps(bar) for bar in bars)
    assert legend.y0 >= ax.get_window_extent(renderer).y1 - 1   # above the plotting area
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(text.startswith("any month: ") for text in texts)


def test_availability_vs_regions():
    outages = plc.OutageModel(20.0, {"law": "fixed", "hours": 10})
    table = availability_by_region_count(["eastus", "westus2"], outages, trials=5_000, seed=1)
    q = outages.processes(["eastus"])[0].probability_down
    assert table.exact_availability.tolist() == pytest.approx([1 - q, 1 - q ** 2])
    ax = check(plotting.availability_vs_regions(table))
    assert ax.get_yscale() == "log"


def _served(frame):
    return frame.get("served_availability", frame.get("served_fraction"))


def test_batch_overview(batch):
    ax = check(plotting.batch_overview(batch))
    labels = {t.get_text() for t in ax.texts}
    ok = batch[batch.status == "ok"]
    short = _served(ok) < ok.availability - 1e-9
    notable = ok[(ok.p_month_below_slo.fillna(0) > 0.03) | (ok.utilization_after_failures > 0.8)
                 | short]
    assert labels == set(notable.service) and "telemetry-ingest" in labels
    assert "cdn-origin" in labels                  # capacity shortfall after an outage
    assert "[%]" in ax.get_xlabel() and "[%]" in ax.get_ylabel()  # ticks are percentages
    small = plotting.batch_overview(batch.head(5))
    assert {t.get_text() for t in small.texts} == set(batch.head(5).service)


def _boxes(ax):
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    return [matplotlib.text.Text.get_window_extent(t, renderer) for t in ax.texts]


def test_batch_overview_labels_do_not_overlap():
    # 12 services on top of each other: every label is drawn, none overlaps another
    crowd = pd.DataFrame({"service": [f"service-{i:02d}" for i in range(12)], "status": "ok",
                          "utilization_after_failures": 0.9, "p_month_below_slo": 0.1,
                          "availability": 0.9999, "served_availability": 0.9999})
    boxes = _boxes(check(plotting.batch_overview(crowd)))
    assert len(boxes) == 12
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)


def test_batch_overview_crowd_goes_to_a_side_column():
    # 25 riskiest of 2,000 services in one corner: too many to stack above the points, so
    # the names line up right of the axes, apart, each with a leader line to its point
    n = 2_000
    rng = np.random.default_rng(1)
    crowd = pd.DataFrame({"service": [f"a-long-service-name-{i:04d}" for i in range(n)],
                          "status": "ok",
                          "utilization_after_failures": rng.uniform(0.9, 0.95, n),
                          "p_month_below_slo": rng.uniform(0.2, 0.21, n),
                          "availability": 0.9999, "served_availability": 0.9999})
    ax = check(plotting.batch_overview(crowd))
    boxes = _boxes(ax)
    assert len(boxes) == 25
    right = ax.get_window_extent().x1
    assert all(box.x0 >= right for box in boxes)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    assert all(t.arrow_patch is not None for t in ax.texts)
    assert "25 of 2,000 notable services named" in ax.get_title()


def test_batch_overview_headroom_band_and_label_cap():
    n = 300
    crowd = pd.DataFrame({"service": [f"s{i}" for i in range(n)], "status": "ok",
                          "utilization_after_failures": np.linspace(0.5, 0.95, n),
                          "p_month_below_slo": np.linspace(0, 0.2, n),
                          "availability": 0.9999, "served_fraction": 0.9999,
                          "headroom": np.where(np.arange(n) % 2, 0.2, 1.0)})
    ax = check(plotting.batch_overview(crowd, max_labels=10))
    assert len(ax.texts) == 10
    assert {t.get_text() for t in ax.texts} == {f"s{i}" for i in range(n - 10, n)}
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert "50% (headroom 100%) to 83% (headroom 20%)" in legend
    assert "past its own headroom" in legend
    one = check(plotting.batch_overview(crowd.assign(headroom=0.3)))
    legend = " ".join(t.get_text() for t in one.get_legend().get_texts())
    assert "30% headroom used up (77%)" in legend


def test_draws_on_given_axes():
    fig, axes = plt.subplots(1, 2)
    assert plotting.ceiling_heatmap(ax=axes[0]) is axes[0]
    assert plotting.ports_needed_by_rate(1_000, ax=axes[1]) is axes[1]


def test_per_service_bars(batch):
    ax = check(plotting.utilization_by_service(batch))
    assert len(ax.patches) == (batch.status == "ok").sum()
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths == pytest.approx(sorted(batch.utilization_after_failures))
    ax = check(plotting.slo_risk_by_service(batch))
    assert len(ax.patches) == batch.p_month_below_slo.notna().sum()


def test_per_service_bars_top(batch):
    ax = check(plotting.utilization_by_service(batch, top=5))
    assert len(ax.patches) == 5
    assert sorted(p.get_width() for p in ax.patches) == pytest.approx(
        sorted(batch.utilization_after_failures)[-5:])
    assert "5 highest of 20" in ax.get_title()
    ax = check(plotting.slo_risk_by_service(batch, top=3))
    assert [t.get_text() for t in ax.get_yticklabels()][::-1] == list(
        batch.sort_values("p_month_below_slo", ascending=False).service[:3])


@pytest.mark.parametrize("picture", ["batch_overview", "utilization_by_service",
                                     "slo_risk_by_service"])
def test_batch_pictures_take_the_results_or_their_table(batch, picture):
    draw = getattr(plotting, picture)
    by_result, by_table = draw(batch), draw(batch.table.copy())
    assert [p.get_width() for p in by_result.patches] == [p.get_width() for p in
                                                          by_table.patches]
    assert ([t.get_text() for t in by_result.texts + by_result.get_yticklabels()]
            == [t.get_text() for t in by_table.texts + by_table.get_yticklabels()])
    assert len(by_result.collections) == len(by_table.collections)


def test_every_public_picture_is_tested():
    source = open(__file__).read()
    for name in plotting.__all__:
        assert f"plotting.{name}(" in source, name


def test_estate_pictures():
    inventory = plc.read_inventory(*(data_path("examples/estate") / name
                                     for name in ("pls.json", "lb.json", "pe.json")))
    metrics = plc.read_metrics(data_path("examples/estate/metrics-pls-payments.json"))
    forecast = plc.forecast_exhaustion(metrics)
    fig, axes = plt.subplots(1, 2)
    ax = check(plotting.nat_port_forecast(metrics, forecast, "pls-payments", ax=axes[0]),
               xlabel_unit="date")
    assert ax is axes[0]
    assert len(ax.collections) == 1          # one NAT IP: one prediction band
    assert [line.get_ydata()[0] for line in ax.get_lines()[-2:]] == [80, 100]   # thresholds
    from plcapacity.estate.review import estate_table
    ax = check(plotting.ceilings_vs_peaks(estate_table(inventory, forecast), ax=axes[1]))
    assert ax is axes[1]
    # ceilings (4 bars, one unknown drawn at 0) and estimated peaks (payments only)
    widths = [p.get_width() for p in ax.patches]
    assert sorted(widths)[-1] == 1_536_000 and 384_000 in widths


def test_plan_frontier():
    model = plc.OutageModel(2.0, {"law": "fixed", "hours": 6})
    p = plc.plan(1_000_000, regions="eastus,northeurope", slo_percent=99.9, outages=model,
                 vm_hourly_usd=0.1)
    ax = check(plotting.plan_frontier(p))
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == len(p.table) and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.texts] == [p.best["regions"]]


def test_estate_overview_is_a_point_per_service_red_for_a_look():
    import pandas as pd
    table = pd.DataFrame({"ceiling": [384_000, 1_536_000, None, 768_000],
                          "peak_nat_port_usage_percent": [65.1, 39.7, 87.4, None]})
    ax = check(plotting.estate_overview(table, flagged=[True, False, True, False]))
    fine, look = ax.collections
    assert fine.get_offsets().tolist() == [[39.7, 1_536_000]]
    assert look.get_offsets().tolist() == [[65.1, 384_000]]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["fine (1)", "needs a look (1)",
                     "2 without a known ceiling or metrics, not shown"]
    assert ax.get_yscale() == "log"
    plt.close(ax.figure)
