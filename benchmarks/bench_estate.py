"""The estate review at full size (issue 20): seeded estates of 100 to 3,000 Private Link
Services in the documented export shapes, reviewed (table and HTML) against ``json.load`` of
the same files in the same run, with peak memory.

Each estate is generated once under ``--folder`` (default ``/tmp/plcapacity-estates``):

- ``pls.json``: ``az network private-link-service list`` output, one to four NAT IPs per PLS
  and about 20 private endpoint connections each (``--endpoints`` per PLS on average);
- ``lb.json``: Azure Resource Graph rows of the load balancers (about 0.3 per PLS), each
  with one frontend and one load-balancing rule per PLS on it, and its backend pool;
- ``metrics/metrics-<pls>.json``: one ``az monitor metrics list -o json`` response per PLS:
  ``PLSNatPortsUsage`` (``maximum``) per NAT IP and ``PLSBytesIn`` / ``PLSBytesOut``
  (``total``), ``--days`` days at ``--step-minutes`` minutes (default 30 days of 5 minutes).

Then, for each size, three child processes run in turn (so their peak memory is their own):
the baseline reads every file with :func:`json.load`; the review runs ``plcapacity estate``
with the table on stdout and ``-o review.html``. The ratio review / baseline is the figure of
merit (goal: at most 2x at 1,000 PLS, peak memory under 2 GiB, time per PLS flat from 100 to
3,000). A last line compares the time per PLS of the largest and smallest estates
(1.0 = linear).

Run: ``python benchmarks/bench_estate.py [--sizes 100 300 1000] [--folder DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SUB = "/subscriptions/00000000-1111-2222-3333-444444444444"
REGIONS = ["eastus", "westeurope", "westus2", "northeurope", "southeastasia"]


def _pls_id(i):
    return f"{SUB}/resourceGroups/rg-{i % 50:02d}/providers/Microsoft.Network/" \
           f"privateLinkServices/pls-{i:05d}"


def _lb_id(k):
    return f"{SUB}/resourceGroups/rg-lb/providers/Microsoft.Network/loadBalancers/lb-{k:04d}"


def inventory(n_pls, endpoints, rng):
    """The PLS and load balancer exports of an estate, as JSON-ready objects."""
    n_lb = max(1, round(0.3 * n_pls))
    nat_counts = rng.choice([1, 2, 2, 3, 4], n_pls)
    connections = rng.poisson(endpoints, n_pls)
    lbs = {k: {"frontends": [], "vms": int(rng.integers(2, 16))} for k in range(n_lb)}
    services = []
    for i in range(n_pls):
        k = i % n_lb
        lb = _lb_id(k)
        frontend = f"{lb}/frontendIPConfigurations/fe-{i:05d}"
        lbs[k]["frontends"].append(frontend)
        pid = _pls_id(i)
        nat = [{"id": f"{pid}/ipConfigurations/nat-{j}", "name": f"nat-{j}", "primary": j == 0,
                "privateIPAddress": f"10.{i // 250}.{i % 250}.{10 + j}",
                "privateIPAddressVersion": "IPv4", "privateIPAllocationMethod": "Static",
                "provisioningState": "Succeeded"} for j in range(nat_counts[i])]
        region = REGIONS[i % len(REGIONS)]
        pecs = []
        for c in range(connections[i]):
            pe = (f"{SUB}/resourceGroups/rg-consumer/providers/Microsoft.Network/"
                  f"privateEndpoints/pe-{i:05d}-{c:03d}")
            pecs.append({"id": f"{pid}/privateEndpointConnections/pe-{i:05d}-{c:03d}.0",
                         "name": f"pe-{i:05d}-{c:03d}.0",
                         "privateEndpoint": {"id": pe, "resourceGroup": "rg-consumer"},
                         "privateLinkServiceConnectionState": {
                             "actionsRequired": "None", "description": "",
                             "status": "Approved" if c % 17 else "Pending"},
                         "provisioningState": "Succeeded",
                         "type": "Microsoft.Network/privateLinkServices/"
                                 "privateEndpointConnections"})
        services.append({"id": pid, "name": f"pls-{i:05d}", "location": region,
                         "resourceGroup": f"rg-{i % 50:02d}",
                         "type": "Microsoft.Network/privateLinkServices",
                         "provisioningState": "Succeeded", "ipConfigurations": nat,
                         "loadBalancerFrontendIpConfigurations": [{"id": frontend}],
                         "privateEndpointConnections": pecs,
                         "visibility": {"subscriptions": [SUB.rsplit("/", 1)[-1]]},
                         "autoApproval": {"subscriptions": []}, "fqdns": []})
    rows = []
    for k, lb in lbs.items():
        lid = _lb_id(k)
        pool = f"{lid}/backendAddressPools/pool"
        rules = [{"id": f"{lid}/loadBalancingRules/rule-{n}", "name": f"rule-{n}",
                  "properties": {"frontendIPConfiguration": {"id": fe},
                                 "backendAddressPool": {"id": pool},
                                 "protocol": "Tcp", "frontendPort": 443, "backendPort": 443}}
                 for n, fe in enumerate(lb["frontends"])]
        rows.append({
            "id": lid, "name": f"lb-{k:04d}", "type": "microsoft.network/loadbalancers",
            "location": REGIONS[k % len(REGIONS)], "resourceGroup": "rg-lb",
            "sku": {"name": "Standard", "tier": "Regional"},
            "properties": {
                "frontendIPConfigurations": [
                    {"id": fe, "name": fe.rsplit("/", 1)[-1],
                     "properties": {"loadBalancingRules": [{"id": r["id"]}]}}
                    for fe, r in zip(lb["frontends"], rules)],
                "backendAddressPools": [{"id": pool, "name": "pool", "properties": {
                    "backendIPConfigurations": [
                        {"id": f"{SUB}/resourceGroups/rg-lb/providers/Microsoft.Network/"
                               f"networkInterfaces/vm-{k:04d}-{v}-nic/ipConfigurations/ipconfig1"}
                        for v in range(lb["vms"])]}}],
                "loadBalancingRules": rules}})
    return services, {"count": len(rows), "data": rows}


def _stamps(days, step_minutes):
    start = np.datetime64("2026-10-01T00:00:00", "s")
    steps = np.arange(days * 24 * 60 // step_minutes) * np.timedelta64(step_minutes * 60, "s")
    return [f"{str(t)}Z" for t in start + steps]


def _series_json(stamps, values, aggregation, digits):
    text = np.char.mod(f"%.{digits}f", values) if digits else values.astype(np.int64).astype(str)
    return ",".join([f'{{"timeStamp":"{t}","{aggregation}":{v}}}' for t, v in zip(stamps, text)])


def metrics_file(path, service, stamps, step_minutes, rng):
    """One PLS's ``az monitor metrics list -o json`` response."""
    n = len(stamps)
    hours = np.arange(n) * step_minutes / 60
    days = hours / 24
    daily = np.sin(2 * np.pi * (hours % 24 - 9) / 24)
    at_risk = rng.random() < 0.08
    pid = service["id"]
    parts = []
    for config in service["ipConfigurations"]:
        base = rng.uniform(5, 50) if not at_risk else rng.uniform(45, 70)
        growth = rng.uniform(-0.05, 0.15) if not at_risk else rng.uniform(0.3, 0.9)
        usage = base + growth * days + 6 * daily + rng.normal(0, 1.5, n)
        usage = np.clip(usage, 0, 100)
        parts.append('{"metadatavalues":[{"name":{"localizedValue":"privatelinkserviceipaddress",'
                     f'"value":"PrivateLinkServiceIPAddress"}},"value":"{config["privateIPAddress"]}"}}],'
                     f'"data":[{_series_json(stamps, usage, "maximum", 2)}]}}')
    metrics = [("PLSNatPortsUsage", "Nat Ports Usage", "Percent", ",".join(parts))]
    for name in ("PLSBytesIn", "PLSBytesOut"):
        rate = rng.uniform(1e6, 5e7) * (1.2 + daily) * rng.lognormal(0, 0.2, n)
        data = _series_json(stamps, np.round(rate * step_minutes * 60), "total", 0)
        metrics.append((name, name, "Bytes", f'{{"metadatavalues":[],"data":[{data}]}}'))
    values = ",".join(
        f'{{"id":"{pid}/providers/Microsoft.Insights/metrics/{name}",'
        f'"type":"Microsoft.Insights/metrics","name":{{"value":"{name}","localizedValue":'
        f'"{local}"}},"displayDescription":"{local}","unit":"{unit}","timeseries":[{series}],'
        '"errorCode":"Success"}' for name, local, unit, series in metrics)
    path.write_text(f'{{"cost":{n * len(metrics)},"timespan":"{stamps[0]}/{stamps[-1]}",'
                    f'"interval":"PT{step_minutes}M","namespace":'
                    '"Microsoft.Network/privateLinkServices","resourceregion":"'
                    f'{service["location"]}","value":[{values}]}}')


def generate(folder, n_pls, *, days=30, step_minutes=5, endpoints=20, seed=20):
    """Write a seeded estate of ``n_pls`` PLSs under ``folder`` (skipped when complete);
    returns (inventory files, metrics files)."""
    folder = Path(folder)
    done = folder / "complete.json"
    metrics_folder = folder / "metrics"
    if done.exists():
        return [str(folder / "pls.json"), str(folder / "lb.json")], \
            sorted(str(p) for p in metrics_folder.glob("*.json"))
    metrics_folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, n_pls])
    services, lbs = inventory(n_pls, endpoints, rng)
    (folder / "pls.json").write_text(json.dumps(services))
    (folder / "lb.json").write_text(json.dumps(lbs))
    stamps = _stamps(days, step_minutes)
    for service in services:
        metrics_file(metrics_folder / f"metrics-{service['name']}.json", service, stamps,
                     step_minutes, rng)
    done.write_text(json.dumps({"pls": n_pls, "days": days, "step_minutes": step_minutes}))
    return [str(folder / "pls.json"), str(folder / "lb.json")], \
        sorted(str(p) for p in metrics_folder.glob("*.json"))


BASELINE = r"""
import json, resource, sys, time
paths = sys.argv[1:]
start = time.perf_counter()
for path in paths:
    with open(path, encoding="utf-8") as handle:
        json.load(handle)
seconds = time.perf_counter() - start
print(json.dumps(dict(seconds=seconds, peak_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))
"""

REVIEW = r"""
import io, json, resource, sys, time
from plcapacity.cli.main import main
output, listing = sys.argv[1], sys.argv[2]
inventory, metrics = json.load(open(listing))
start = time.perf_counter()
out = io.StringIO()
stdout, sys.stdout = sys.stdout, out
try:
    code = main(["estate", "--inventory", *inventory, "--metrics", *metrics, "-o", output,
                 "--no-progress", *sys.argv[3:]])
finally:
    sys.stdout = stdout
seconds = time.perf_counter() - start
print(json.dumps(dict(seconds=seconds, code=code, rows=out.getvalue().count("\n"),
                      peak_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))
"""


def child(script, *argv):
    run = subprocess.run([sys.executable, "-c", script, *map(str, argv)], capture_output=True,
                         text=True)
    if run.returncode:
        raise SystemExit(f"ABORT: child failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000, 3000])
    parser.add_argument("--folder", default="/tmp/plcapacity-estates")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--step-minutes", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1,
                        help="local processes reading the metrics (default 1: one core, as "
                             "json.load)")
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        folder = Path(args.folder) / f"estate-{n}-{args.days}d-{args.step_minutes}m"
        start = time.perf_counter()
        inventory_files, metrics_files = generate(folder, n, days=args.days,
                                                  step_minutes=args.step_minutes)
        made = time.perf_counter() - start
        size = sum(os.path.getsize(p) for p in inventory_files + metrics_files)
        listing = folder / "files.json"
        listing.write_text(json.dumps([inventory_files, metrics_files]))
        base = child(BASELINE, *inventory_files, *metrics_files)
        review = child(REVIEW, folder / "review.html", listing, "--workers", args.workers)
        html = (folder / "review.html").stat().st_size
        ratio = review["seconds"] / base["seconds"]
        rows.append((n, review["seconds"]))
        print(f"{n:>6,} PLS, {len(metrics_files):,} metrics files, {size / 2**20:,.0f} MiB "
              f"(generated in {made:.0f} s): json.load {base['seconds']:.1f} s "
              f"(peak {base['peak_kib'] / 1024:,.0f} MiB); review {review['seconds']:.1f} s "
              f"= {ratio:.2f}x (goal <= 2: {'PASS' if ratio <= 2 else 'MISS'}), peak "
              f"{review['peak_kib'] / 1024:,.0f} MiB (goal < 2048: "
              f"{'PASS' if review['peak_kib'] < 2 * 2**20 else 'MISS'}), HTML "
              f"{html / 2**20:.1f} MiB", flush=True)
    if len(rows) > 1:
        (n0, t0), (n1, t1) = rows[0], rows[-1]
        print(f"time per PLS, {n1:,} / {n0:,}: {(t1 / n1) / (t0 / n0):.2f}x (1.0 = linear)")


if __name__ == "__main__":
    main()
