"""Regenerate the example estate exports in data/examples/estate/ (seeded, reproducible).

Run from the repository root: ``python docs/make_estate_examples.py``. The files have the
shapes the Azure tools produce (field names from the Azure REST API specifications,
azure-rest-api-specs ``specification/network/resource-manager/Microsoft.Network/stable/
2024-05-01/{privateLinkService,loadBalancer,privateEndpoint}.json`` and
``specification/monitor/resource-manager/Microsoft.Insights/stable/2023-10-01/
examples/GetMetric.json``); the values are invented:

- ``pls.json``: ``az network private-link-service list`` (properties flattened), four PLSs;
- ``lb.json``: ``az graph query`` on ``microsoft.network/loadbalancers`` (properties nested),
  two load balancers (one with NIC members, one with a VM scale set); the load balancer of
  ``pls-legacy`` is deliberately missing;
- ``pe.json``: ``az network private-endpoint list`` for the endpoints whose connection lacks
  ``privateEndpointLocation`` (older API versions);
- ``metrics-<pls>.json``: ``az monitor metrics list --metrics PLSNatPortsUsage PLSBytesIn
  PLSBytesOut --aggregation Maximum Total --interval PT1H --filter "PrivateLinkServiceIPAddress eq '*'"`` over 90 days.
"""

import json
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent.parent / "data" / "examples" / "estate"
SUB = "/subscriptions/6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
END = pd.Timestamp("2026-11-20T00:00:00Z")
DAYS = 90


def rid(group, kind, name):
    return f"{SUB}/resourceGroups/{group}/providers/Microsoft.Network/{kind}/{name}"


# name, group, region, load balancer, frontend, NAT IPs, [(PE region, count, state, located)]
SERVICES = [
    ("pls-orders", "rg-orders", "eastus", "lb-orders", "fe-orders", 4,
     [("eastus", 18, "Approved", False), ("westus2", 9, "Approved", False),
      ("northeurope", 4, "Approved", False), ("eastus", 2, "Pending", False)]),
    ("pls-payments", "rg-orders", "eastus", "lb-orders", "fe-payments", 1,
     [("eastus", 6, "Approved", True)]),
    ("pls-search", "rg-search", "westeurope", "lb-search", "fe-search", 2,
     [("westeurope", 512, "Approved", True), ("northeurope", 241, "Approved", True),
      ("uksouth", 70, "Approved", True), ("westeurope", 12, "Pending", True),
      ("uksouth", 3, "Rejected", True)]),
    ("pls-legacy", "rg-legacy", "westus2", "lb-legacy", "fe-legacy", 2,
     [("westus2", 3, "Approved", True), ("westus3", 2, "Approved", True)]),
]


def private_link_services():
    services, endpoints = [], []
    for number, (name, group, region, lb, frontend, nat_ips, links) in enumerate(SERVICES):
        pls_id = rid(group, "privateLinkServices", name)
        connections = []
        for pe_region, count, state, located in links:
            for i in range(count):
                pe_name = f"pe-{name[4:]}-{pe_region}-{state.lower()}-{i:03d}"
                pe_group = f"rg-consumer-{pe_region}"
                pe_id = rid(pe_group, "privateEndpoints", pe_name)
                connection = {
                    "id": f"{pls_id}/privateEndpointConnections/{pe_name}.{i:04x}",
                    "name": f"{pe_name}.{i:04x}",
                    "privateEndpoint": {"id": pe_id, "resourceGroup": pe_group},
                    "privateLinkServiceConnectionState": {
                        "actionsRequired": "None", "description": "", "status": state},
                    "provisioningState": "Succeeded",
                    "resourceGroup": group,
                    "type": "Microsoft.Network/privateLinkServices/privateEndpointConnections",
                }
                if located:
                    connection["privateEndpointLocation"] = pe_region
                else:
                    endpoints.append({
                        "id": pe_id, "name": pe_name, "location": pe_region,
                        "resourceGroup": pe_group, "type": "Microsoft.Network/privateEndpoints",
                        "provisioningState": "Succeeded",
                        "privateLinkServiceConnections": [{
                            "id": f"{pe_id}/privateLinkServiceConnections/{pe_name}",
                            "name": pe_name, "privateLinkServiceId": pls_id,
                            "privateLinkServiceConnectionState": {"status": state},
                        }] if state == "Approved" else [],
                        "manualPrivateLinkServiceConnections": [] if state == "Approved" else [{
                            "id": f"{pe_id}/manualPrivateLinkServiceConnections/{pe_name}",
                            "name": pe_name, "privateLinkServiceId": pls_id,
                            "privateLinkServiceConnectionState": {"status": state},
                        }],
                        "subnet": {"id": f"{SUB}/resourceGroups/{pe_group}/providers/"
                                         f"Microsoft.Network/virtualNetworks/vnet-consumer/"
                                         "subnets/endpoints"},
                    })
                connections.append(connection)
        services.append({
            "alias": f"{name}.{zlib.crc32(name.encode()):08x}-aaaa-bbbb.{region}.azure.privatelinkservice",
            "autoApproval": {"subscriptions": []},
            "enableProxyProtocol": False,
            "etag": "W/\"00000000-0000-0000-0000-000000000000\"",
            "fqdns": [],
            "id": pls_id,
            "ipConfigurations": [{
                "id": f"{pls_id}/ipConfigurations/nat-{k}",
                "name": f"nat-{k}",
                "primary": k == 0,
                "privateIPAddress": f"10.{20 + number}.0.{10 + k}",
                "privateIPAddressVersion": "IPv4",
                "privateIPAllocationMethod": "Static",
                "provisioningState": "Succeeded",
                "resourceGroup": group,
                "subnet": {"id": f"{SUB}/resourceGroups/{group}/providers/Microsoft.Network/"
                                 f"virtualNetworks/vnet-{group[3:]}/subnets/pls-nat"},
                "type": "Microsoft.Network/privateLinkServices/ipConfigurations",
            } for k in range(nat_ips)],
            "loadBalancerFrontendIpConfigurations": [{
                "id": f"{rid(group, 'loadBalancers', lb)}/frontendIPConfigurations/{frontend}",
                "resourceGroup": group}],
            "location": region,
            "name": name,
            "networkInterfaces": [{"id": rid(group, "networkInterfaces", f"{name}.nic.0c1d2e3f"),
                                   "resourceGroup": group}],
            "privateEndpointConnections": connections,
            "provisioningState": "Succeeded",
            "resourceGroup": group,
            "type": "Microsoft.Network/privateLinkServices",
            "visibility": {"subscriptions": ["*"] if name == "pls-search" else
                           [SUB.split("/")[-1]]},
        })
    return services, endpoints


def load_balancer(group, name, region, frontends, members):
    lb_id = rid(group, "loadBalancers", name)
    pool_id = f"{lb_id}/backendAddressPools/pool-{name[3:]}"
    rules = [{"id": f"{lb_id}/loadBalancingRules/rule-{fe[3:]}",
              "name": f"rule-{fe[3:]}",
              "type": "Microsoft.Network/loadBalancers/loadBalancingRules",
              "properties": {
                  "frontendIPConfiguration": {"id": f"{lb_id}/frontendIPConfigurations/{fe}"},
                  "backendAddressPool": {"id": pool_id},
                  "backendAddressPools": [{"id": pool_id}],
                  "probe": {"id": f"{lb_id}/probes/probe-https"},
                  "protocol": "Tcp", "frontendPort": 443, "backendPort": 443,
                  "idleTimeoutInMinutes": 4, "enableFloatingIP": False,
                  "enableTcpReset": True, "disableOutboundSnat": True,
                  "loadDistribution": "Default", "provisioningState": "Succeeded"}}
             for fe in frontends]
    return {
        "id": lb_id, "name": name, "type": "microsoft.network/loadbalancers",
        "tenantId": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", "kind": "", "location": region,
        "resourceGroup": group, "subscriptionId": SUB.split("/")[-1],
        "sku": {"name": "Standard", "tier": "Regional"},
        "properties": {
            "provisioningState": "Succeeded",
            "frontendIPConfigurations": [{
                "id": f"{lb_id}/frontendIPConfigurations/{fe}", "name": fe,
                "properties": {
                    "privateIPAddress": f"10.{len(name)}.1.{4 + i}",
                    "privateIPAllocationMethod": "Static", "privateIPAddressVersion": "IPv4",
                    "subnet": {"id": f"{SUB}/resourceGroups/{group}/providers/Microsoft.Network/"
                                     f"virtualNetworks/vnet-{group[3:]}/subnets/frontend"},
                    "loadBalancingRules": [{"id": f"{lb_id}/loadBalancingRules/rule-{fe[3:]}"}],
                    "provisioningState": "Succeeded"}}
                for i, fe in enumerate(frontends)],
            "backendAddressPools": [{
                "id": pool_id, "name": f"pool-{name[3:]}",
                "properties": {
                    "backendIPConfigurations": [{"id": member} for member in members],
                    "loadBalancingRules": [{"id": rule["id"]} for rule in rules],
                    "provisioningState": "Succeeded"}}],
            "loadBalancingRules": rules,
            "probes": [{"id": f"{lb_id}/probes/probe-https", "name": "probe-https",
                        "properties": {"protocol": "Tcp", "port": 443, "intervalInSeconds": 5,
                                       "numberOfProbes": 1, "probeThreshold": 1}}],
            "inboundNatRules": [], "outboundRules": [],
        },
    }


def nat_ports_series(rng, start, slope, growth, noise, days=DAYS):
    """Hourly PLSNatPortsUsage [%]: a trend, a daily and weekly cycle, noise."""
    hours = np.arange(days * 24)
    t = hours / 24
    trend = start * np.exp(growth * t) + slope * t
    daily = 1 + 0.15 * np.sin(2 * np.pi * (hours % 24 - 8) / 24)
    weekly = np.where(((hours // 24) % 7) >= 5, 0.85, 1.0)
    value = trend * daily * weekly + rng.normal(0, noise, hours.size)
    return np.clip(value, 0, 100)


def metrics_file(pls_id, nat_ips, profile, rng):
    stamps = pd.date_range(END - pd.Timedelta(days=DAYS), periods=DAYS * 24, freq="h")
    iso = stamps.strftime("%Y-%m-%dT%H:%M:%SZ")
    series, load = [], 0
    for k, address in enumerate(nat_ips):
        start, slope, growth, noise = profile(k)
        values = nat_ports_series(rng, start, slope, growth, noise)
        load = load + values
        series.append({
            "metadatavalues": [{"name": {"localizedValue": "privatelinkserviceipaddress",
                                         "value": "PrivateLinkServiceIPAddress"},
                                "value": address}],
            "data": [{"timeStamp": s, "maximum": round(v, 2)}
                     for s, v in zip(iso, values)],
        })
    value = [{"id": f"{pls_id}/providers/Microsoft.Insights/metrics/PLSNatPortsUsage",
              "type": "Microsoft.Insights/metrics",
              "name": {"value": "PLSNatPortsUsage", "localizedValue": "Nat Ports Usage"},
              "displayDescription": "Nat Ports Usage", "unit": "Percent",
              "timeseries": series, "errorCode": "Success"}]
    for metric, share in (("PLSBytesIn", 0.35), ("PLSBytesOut", 0.65)):
        total = load / len(nat_ips) * share * 2.7e9 * rng.uniform(0.9, 1.1, load.size)
        value.append({
            "id": f"{pls_id}/providers/Microsoft.Insights/metrics/{metric}",
            "type": "Microsoft.Insights/metrics",
            "name": {"value": metric, "localizedValue": metric.replace("PLS", "")},
            "displayDescription": f"Total number of {metric[3:]}", "unit": "Count",
            "timeseries": [{"metadatavalues": [],
                            "data": [{"timeStamp": s, "total": float(round(v))}
                                     for s, v in zip(iso, total)]}],
            "errorCode": "Success"})
    return {"cost": DAYS * 24 * (len(nat_ips) + 2), "interval": "PT1H",
            "namespace": "Microsoft.Network/privateLinkServices",
            "resourceregion": "", "timespan": f"{iso[0]}/{END.strftime('%Y-%m-%dT%H:%M:%SZ')}",
            "value": value}


PROFILES = {  # NAT IP k -> (start [%], slope [%/day], growth [1/day], noise [%])
    "pls-orders": lambda k: (30 + 2 * k, 0.22, 0.0, 1.5),
    "pls-payments": lambda k: (22, 0.0, 0.0105, 1.0),
    "pls-search": lambda k: (31 - 3 * k, 0.0, 0.0, 1.5),
    "pls-legacy": lambda k: (62 + 8 * k, 0.05, 0.0, 1.0),
}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261120)
    services, endpoints = private_link_services()
    (OUT / "pls.json").write_text(json.dumps(services, indent=2) + "\n")
    (OUT / "pe.json").write_text(json.dumps(endpoints, indent=2) + "\n")
    nics = [f"{SUB}/resourceGroups/rg-orders/providers/Microsoft.Network/networkInterfaces/"
            f"vm-orders-{i}-nic/ipConfigurations/ipconfig1" for i in range(6)]
    instances = [f"{SUB}/resourceGroups/rg-search/providers/Microsoft.Compute/"
                 f"virtualMachineScaleSets/vmss-search/virtualMachines/{i}/networkInterfaces/"
                 "vmss-search-nic/ipConfigurations/ipconfig1" for i in range(12)]
    balancers = [load_balancer("rg-orders", "lb-orders", "eastus",
                               ["fe-orders", "fe-payments"], nics),
                 load_balancer("rg-search", "lb-search", "westeurope", ["fe-search"],
                               instances)]
    graph = {"count": len(balancers), "data": balancers, "skip_token": None,
             "total_records": len(balancers)}
    (OUT / "lb.json").write_text(json.dumps(graph, indent=2) + "\n")
    for service in services:
        addresses = [c["privateIPAddress"] for c in service["ipConfigurations"]]
        document = metrics_file(service["id"], addresses, PROFILES[service["name"]], rng)
        path = OUT / f"metrics-{service['name']}.json"
        path.write_text(json.dumps(document, separators=(",", ":")) + "\n")
        print(path)


if __name__ == "__main__":
    main()
