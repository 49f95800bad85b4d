"""The user's own estate: Private Link Services, load balancers and private endpoints as
deployed, read from Azure exports, with each service's connection ceiling and limits at risk.

:func:`read_inventory` reads any mix of

- ``az network private-link-service list`` / ``show`` output (JSON, ``properties``
  flattened into each object, camelCase keys);
- ``az network lb list`` / ``show`` and ``az network private-endpoint list`` output (the same);
- Azure Resource Graph results for ``microsoft.network/privatelinkservices``,
  ``microsoft.network/loadbalancers``, ``microsoft.network/privateendpoints`` (and, to map NICs
  to VMs, ``microsoft.network/networkinterfaces``): a JSON array, the ``{"data": [...]}`` object
  of ``az graph query``, a REST ``{"value": [...]}`` list, or the portal's CSV export, with
  ``properties`` kept nested (a JSON cell in CSV);

and returns an :class:`Inventory`: one row per Private Link Service (PLS), the endpoint
connections behind them as a table of their own, and notes on what was skipped.
:func:`deployment_from_inventory` turns one PLS and its approved endpoints into a
:class:`plcapacity.Deployment` for :func:`plcapacity.exact_summary` and
:func:`plcapacity.simulate`.

Field names, from the Azure REST API specification (azure-rest-api-specs,
``specification/network/resource-manager/Microsoft.Network/stable/2024-05-01/``):

- ``privateLinkService.json``, ``PrivateLinkServiceProperties``: ``ipConfigurations`` (the NAT
  IPs), ``loadBalancerFrontendIpConfigurations[].id``, ``visibility.subscriptions``,
  ``privateEndpointConnections[]`` whose ``PrivateEndpointConnectionProperties`` hold
  ``privateEndpoint.id``, ``privateLinkServiceConnectionState.status`` (Approved, Pending,
  Rejected, Disconnected) and ``privateEndpointLocation``; example
  ``examples/PrivateLinkServiceGet.json``.
- ``loadBalancer.json``: ``frontendIPConfigurations[]`` (``FrontendIPConfigurationPropertiesFormat
  .loadBalancingRules[].id``), ``loadBalancingRules[]`` (``frontendIPConfiguration.id``,
  ``backendAddressPool.id``, ``backendAddressPools[].id``), ``backendAddressPools[]``
  (``backendIPConfigurations[].id``, NIC or scale-set instance IP configurations, and
  ``loadBalancerBackendAddresses[]`` with ``networkInterfaceIPConfiguration.id`` or
  ``ipAddress`` for IP-based pools).
- ``privateEndpoint.json``: ``location``, ``privateLinkServiceConnections[]`` and
  ``manualPrivateLinkServiceConnections[]`` with ``privateLinkServiceId``; example
  ``examples/PrivateEndpointGet.json``.
- ``networkInterface.json``: ``virtualMachine.id`` (to count a VM with two NICs once).

References
----------
.. [1] Azure REST API specifications, https://github.com/Azure/azure-rest-api-specs
.. [2] az network private-link-service, https://learn.microsoft.com/cli/azure/network/private-link-service
.. [3] Azure Private Link limits, https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from plcapacity.availability.deployment import Deployment, Destination, Endpoint
from plcapacity.base.deprecation import warn_deprecated
from plcapacity.base.limits import get_limits
from plcapacity.base.regions import region_names
from plcapacity.base.results import TableResult
from plcapacity.base.schema import Column, Schema
from plcapacity.capacity.ceilings import NIC_FLOWS, vm_cap
from plcapacity.capacity.model import deployment_capacity
from plcapacity.estate.exports import brief, get, json_kind, load_records, props

__all__ = ["Inventory", "read_inventory", "deployment_from_inventory", "connections_table",
           "as_inventory", "INVENTORY_COLUMNS", "CONNECTION_COLUMNS", "PER_VM_CAP_LIMIT",
           "PE_SHARE_AT_RISK", "LEGACY_ATTRS"]

#: The named limit (``plcapacity.limits``) used as the per-VM connection cap in ceilings: the
#: NIC's concurrent flows. Kept as a name so it can follow the package default.
PER_VM_CAP_LIMIT = "vm_nic_concurrent_flows"

#: Share of the private endpoints a PLS accepts (``limits.pe_per_pls``) above which a PLS is
#: flagged: a plcapacity policy, not an Azure figure. [-]
PE_SHARE_AT_RISK = 0.8

PLS_TYPE = "microsoft.network/privatelinkservices"
LB_TYPE = "microsoft.network/loadbalancers"
PE_TYPE = "microsoft.network/privateendpoints"
NIC_TYPE = "microsoft.network/networkinterfaces"
_KNOWN_TYPES = (PLS_TYPE, LB_TYPE, PE_TYPE, NIC_TYPE)

#: Columns of :func:`read_inventory`: a :class:`~plcapacity.base.schema.Schema`.
INVENTORY_COLUMNS = Schema(Column.output(name, unit, meaning) for name, (unit, meaning) in {
    "pls_id": ("-", "resource id of the Private Link Service"),
    "name": ("-", "its name"),
    "region": ("-", "its region (location)"),
    "nat_ips": ("-", "NAT IP configurations (ipConfigurations), 1 to 8"),
    "load_balancer_id": ("-", "the Standard Load Balancer it sits on"),
    "frontend_ip_configuration_id": ("-", "the load balancer frontend it uses"),
    "backend_vms": ("VMs", "distinct VMs (NICs, scale-set instances) in the pools behind the "
                           "frontend's load-balancing rules; <NA> when the load balancer was "
                           "not in the input"),
    "pls_on_load_balancer": ("-", "PLSs in the input on the same load balancer"),
    "private_endpoints": ("PEs", "approved private endpoint connections"),
    "pending_connections": ("PEs", "connections waiting for approval"),
    "pe_regions": ("-", "regions of the approved endpoints with their counts"),
    "visibility": ("-", "who can see the PLS: all subscriptions, a number of them, or none"),
    "nat_port_limit": ("connections", "nat_ips x backend_vms x ports_per_nat_ip"),
    "ceiling": ("connections", "connection_ceiling with the per-VM cap"),
    "binding_limit": ("-", "nat_ports or vm_connections: the limit that sets the ceiling"),
    "findings": ("-", "limits at risk, one sentence each, separated by '; '"),
    "source": ("-", "the file the PLS was read from"),
}.items())

#: Columns of :attr:`Inventory.connections`: a :class:`~plcapacity.base.schema.Schema`.
CONNECTION_COLUMNS = Schema(Column.output(name, unit, meaning) for name, (unit, meaning) in {
    "pls_id": ("-", "resource id of the Private Link Service"),
    "private_endpoint_id": ("-", "resource id of the private endpoint"),
    "status": ("-", "approved, pending, rejected or disconnected (lower case)"),
    "region": ("-", "the private endpoint's region; missing (NaN) when unknown"),
}.items())

#: The ``DataFrame.attrs`` keys of plcapacity 0.1's inventory, read (with a
#: DeprecationWarning) from a DataFrame passed where an :class:`Inventory` belongs; until
#: 0.3.0, :func:`read_inventory` still writes the small ones (never ``connections``).
LEGACY_ATTRS = ("connections", "notes", "max_connections_per_vm")

_NATIVE_STATUSES = ("approved", "pending", "rejected", "disconnected")
#: Where a resource sits in its file (``[3]``, ``value[0]``), kept beside its fields for
#: messages: not a string, so no key of an export can be it.
_WHERE = object()


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Inventory(TableResult):
    """The Private Link Services in Azure exports: what :func:`read_inventory` returns.

    The inventory reads like its :attr:`table` (``inventory["name"]``, ``inventory.loc[...]``,
    ``len(inventory)``; see :class:`~plcapacity.base.results.TableResult`), and carries
    the rest as plain attributes.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per PLS, the columns of :data:`INVENTORY_COLUMNS`.
    connections : pandas.DataFrame
        One row per private endpoint connection of those PLSs, the columns of
        :data:`CONNECTION_COLUMNS` (``pls_id``, ``private_endpoint_id``, ``status``,
        ``region``).
    notes : tuple of str, default ()
        What was skipped or merged while reading, one sentence each.
    max_connections_per_vm : float or None, default None
        The per-VM connection cap used in the ceilings [connections]; None: no cap.

    Examples
    --------
    >>> import plcapacity as plc
    >>> folder = plc.data_path("examples/estate")
    >>> inventory = plc.read_inventory(folder / "pls.json", folder / "lb.json", folder / "pe.json")
    >>> list(inventory["name"])                      # the table's columns, as before
    ['pls-orders', 'pls-payments', 'pls-search', 'pls-legacy']
    >>> inventory.connections["status"].value_counts().to_dict()   # one row per connection
    {'approved': 865, 'pending': 14, 'rejected': 3}
    >>> inventory.notes, inventory.max_connections_per_vm           # [connections per VM]
    ((), 500000)
    """

    table: pd.DataFrame
    connections: pd.DataFrame
    notes: tuple = ()
    max_connections_per_vm: float | None = None

    def __post_init__(self):
        for name in ("table", "connections"):
            if not isinstance(getattr(self, name), pd.DataFrame):
                raise TypeError(f"Inventory.{name} is {type(getattr(self, name)).__name__}, not "
                                "a pandas DataFrame")
        missing = [c for c in CONNECTION_COLUMNS if c not in self.connections.columns]
        if missing:
            raise ValueError(f"Inventory.connections lacks column(s) {', '.join(missing)}")
        object.__setattr__(self, "notes", tuple(str(note) for note in self.notes))


# ------------------------------------------------------------------------------ parsing


def _resources(document, path):
    """The resource objects of an export: a list, {"value": [...]}, {"data": [...]} or one."""
    if isinstance(document, list):
        items, prefix = document, ""
    elif isinstance(document, dict):
        for key in ("value", "data"):
            inner = get(document, key)
            if isinstance(inner, list):
                items, prefix = inner, key
                break
            if isinstance(inner, dict) and isinstance(get(inner, "rows"), list):
                raise ValueError(f"{path}: a Resource Graph table result (columns/rows); export "
                                 "with --output json or as an object array instead")
        else:
            return [("the document", document)]
    else:
        raise ValueError(f"{path}: expected a JSON array or object of Azure resources, found "
                         f"{type(document).__name__}")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"{path}: item {i} is {json_kind(item)}, not an Azure resource "
                             f"object ({prefix}[{i}]); expected az ... list output or Resource "
                             "Graph results")
    return [(f"{prefix}[{i}]", item) for i, item in enumerate(items)]


def _type_from_id(resource_id: str) -> str:
    parts = resource_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        return ""
    i = len(lowered) - 1 - lowered[::-1].index("providers")
    return "/".join(lowered[i + 1:i + 3])


def _resource_type(resource) -> str:
    declared = get(resource, "type")
    if isinstance(declared, str) and declared:
        return declared.lower()
    rid = get(resource, "id")
    return _type_from_id(rid) if isinstance(rid, str) else ""


def _describe(resource) -> str:
    """The resource by name and id, or by its place in the file (``[3]``, ``value[0]``)."""
    name, rid = get(resource, "name"), get(resource, "id")
    where = resource.get(_WHERE, "") if isinstance(resource, dict) else ""
    if isinstance(rid, str) and rid:
        return f"{brief(name)} ({rid})" if isinstance(name, str) and name else repr(rid)
    named = f"{brief(name)} " if isinstance(name, str) and name else ""
    return f"{named}at {where or 'an unknown place'}"


def _fail(path, kind, resource, field, problem, allowed):
    raise ValueError(f"{path}: {kind} {_describe(resource)}: {field} {problem}; {allowed}")


def _ref_id(ref, path, kind, resource, field):
    """The ``id`` of a sub-resource reference, lower-cased (Azure ids ignore case)."""
    rid = get(ref, "id")
    if not isinstance(ref, dict):
        _fail(path, kind, resource, field, f"is {json_kind(ref)} ({brief(ref)}), not an object",
              "expected an object with the referenced resource's id")
    if not isinstance(rid, str) or not rid:
        _fail(path, kind, resource, f"{field}.id", f"is {json_kind(rid)}, not text",
              "expected the referenced resource's id")
    return rid


def _text(container, key, path, kind, resource, field, *, allowed, required=False):
    """A text field (None when absent and not required)."""
    value = get(container, key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        problem = "is missing" if value is None or value == "" else \
            f"is {json_kind(value)} ({brief(value)}), not text"
        _fail(path, kind, resource, field, problem, allowed)
    return value


def _object(container, key, path, kind, resource, field, *, allowed):
    """An object field ({} when absent)."""
    value = get(container, key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        _fail(path, kind, resource, field, f"is {json_kind(value)} ({brief(value)}), not an "
              "object", allowed)
    return value


def _list(container, key, path, kind, resource, field, *, required):
    value = get(container, key)
    if value is None:
        if required:
            _fail(path, kind, resource, field, "is missing",
                  "expected a JSON array: export the full resource (az ... list/show, or "
                  "Resource Graph with properties)")
        return []
    if not isinstance(value, list):
        _fail(path, kind, resource, field, f"is {type(value).__name__}, not a list",
              "expected a JSON array")
    return value


def _inner(obj, field):
    """The properties of ``obj`` and the JSON path they are at, ending in a dot when not
    empty (``field.properties.`` in REST and Resource Graph output, ``field.`` in az output,
    where the properties are flattened)."""
    nested = get(obj, "properties")
    if isinstance(nested, dict):
        return nested, f"{field}.properties." if field else "properties."
    return obj, f"{field}." if field else ""


def _vm_key(ipconfig_id: str, nic_vm: dict) -> str:
    """The VM behind a NIC or scale-set instance IP configuration id."""
    low = ipconfig_id.lower()
    scale_set = re.search(r"/virtualmachinescalesets/[^/]+/virtualmachines/[^/]+", low)
    if scale_set:
        return low[:scale_set.end()]
    cut = low.find("/ipconfigurations/")
    nic = low[:cut] if cut >= 0 else low
    return nic_vm.get(nic, nic)


def _parse_pls(resource, path):
    kind = "private link service"
    rid = _text(resource, "id", path, kind, resource, "id", required=True,
                allowed="a private link service has a resource id (text)")
    region = _text(resource, "location", path, kind, resource, "location", required=True,
                   allowed="expected the region name")
    name = _text(resource, "name", path, kind, resource, "name", allowed="expected its name")
    p, at = _inner(resource, "")
    ip_configs = _list(p, "ipConfigurations", path, kind, resource,
                       f"{at}ipConfigurations", required=True)
    frontends = _list(p, "loadBalancerFrontendIpConfigurations", path, kind, resource,
                      f"{at}loadBalancerFrontendIpConfigurations", required=True)
    if not frontends:
        _fail(path, kind, resource, f"{at}loadBalancerFrontendIpConfigurations",
              "is empty", "a PLS sits on a load balancer frontend IP configuration")
    frontend = _ref_id(frontends[0], path, kind, resource,
                       f"{at}loadBalancerFrontendIpConfigurations[0]")
    cut = frontend.lower().find("/frontendipconfigurations/")
    if cut < 0:
        _fail(path, kind, resource, f"{at}loadBalancerFrontendIpConfigurations[0].id",
              f"= {frontend!r} is not a frontend IP configuration id",
              "expected .../loadBalancers/NAME/frontendIPConfigurations/NAME")
    connections = []
    statuses = f"expected one of {', '.join(s.title() for s in _NATIVE_STATUSES)}"
    for i, connection in enumerate(_list(p, "privateEndpointConnections", path, kind, resource,
                                         f"{at}privateEndpointConnections",
                                         required=False)):
        field = f"{at}privateEndpointConnections[{i}]"
        if not isinstance(connection, dict):
            _fail(path, kind, resource, field, f"is {json_kind(connection)} "
                  f"({brief(connection)}), not an object", "expected a private endpoint "
                  "connection")
        cp, inner = _inner(connection, field)
        state = _object(cp, "privateLinkServiceConnectionState", path, kind, resource,
                        f"{inner}privateLinkServiceConnectionState", allowed=statuses)
        status = _text(state, "status", path, kind, resource,
                       f"{inner}privateLinkServiceConnectionState.status", required=True,
                       allowed=statuses)
        endpoint = _object(cp, "privateEndpoint", path, kind, resource,
                           f"{inner}privateEndpoint", allowed="expected a reference to the "
                                                               "private endpoint")
        endpoint_id = _text(endpoint, "id", path, kind, resource, f"{inner}privateEndpoint.id",
                            allowed="expected the private endpoint's resource id")
        connection_id = _text(connection, "id", path, kind, resource, f"{field}.id",
                              allowed="expected the connection's resource id")
        location = _text(cp, "privateEndpointLocation", path, kind, resource,
                         f"{inner}privateEndpointLocation", allowed="expected a region name")
        connections.append({"private_endpoint_id": endpoint_id or connection_id or
                            f"{rid}/privateEndpointConnections/{i}",
                            "status": status.lower(),
                            "region": location.lower() if location else None})
    visibility = _object(p, "visibility", path, kind, resource, f"{at}visibility",
                         allowed="expected an object with subscriptions")
    subscriptions = get(visibility, "subscriptions")
    if subscriptions is not None and (not isinstance(subscriptions, list) or not all(
            isinstance(s, str) for s in subscriptions)):
        wrong = subscriptions if not isinstance(subscriptions, list) else next(
            s for s in subscriptions if not isinstance(s, str))
        where = "" if not isinstance(subscriptions, list) else \
            f"[{next(k for k, s in enumerate(subscriptions) if not isinstance(s, str))}]"
        _fail(path, kind, resource, f"{at}visibility.subscriptions{where}",
              f"is {json_kind(wrong)} ({brief(wrong)}), not "
              f"{'text' if where else 'a list'}",
              "expected a list of subscription ids, or [\"*\"] for all")
    return {"pls_id": rid, "name": name or rid.rstrip("/").split("/")[-1],
            "region": region.lower(), "nat_ips": len(ip_configs),
            "load_balancer_id": frontend[:cut], "frontend_ip_configuration_id": frontend,
            "visibility": _visibility(subscriptions), "connections": connections,
            "source": str(path)}


def _visibility(subscriptions) -> str:
    if not subscriptions:
        return "none (owner's subscription only)"
    if "*" in subscriptions:
        return "all subscriptions"
    return f"{len(subscriptions)} subscription" + ("s" if len(subscriptions) > 1 else "")


def _parse_lb(resource, path, nic_vm):
    """frontend id -> set of VM keys behind the pools of its load-balancing rules."""
    kind = "load balancer"
    p, at = _inner(resource, "")
    pools = {}
    for i, pool in enumerate(_list(p, "backendAddressPools", path, kind, resource,
                                   f"{at}backendAddressPools", required=False)):
        field = f"{at}backendAddressPools[{i}]"
        pool_id = _ref_id(pool, path, kind, resource, field).lower()
        pp, inner = _inner(pool, field)
        members = set()
        for j, config in enumerate(_list(pp, "backendIPConfigurations", path, kind, resource,
                                         f"{inner}backendIPConfigurations", required=False)):
            members.add(_vm_key(_ref_id(config, path, kind, resource,
                                        f"{inner}backendIPConfigurations[{j}]"), nic_vm))
        for j, address in enumerate(_list(pp, "loadBalancerBackendAddresses", path, kind,
                                          resource, f"{inner}loadBalancerBackendAddresses",
                                          required=False)):
            ap, address_at = _inner(address, f"{inner}loadBalancerBackendAddresses[{j}]")
            nic_config = get(ap, "networkInterfaceIPConfiguration")
            if isinstance(get(nic_config, "id"), str):
                members.add(_vm_key(get(nic_config, "id"), nic_vm))
            elif isinstance(get(ap, "ipAddress"), str):
                network = _object(ap, "virtualNetwork", path, kind, resource,
                                  f"{address_at}virtualNetwork",
                                  allowed="expected a reference to the virtual network")
                network_id = _text(network, "id", path, kind, resource,
                                   f"{address_at}virtualNetwork.id",
                                   allowed="expected the virtual network's id") or ""
                members.add(f"ip:{network_id.lower()}:{get(ap, 'ipAddress')}")
            else:
                _fail(path, kind, resource, f"{inner}loadBalancerBackendAddresses[{j}]",
                      "has neither networkInterfaceIPConfiguration nor ipAddress",
                      "expected one of them (loadBalancer.json, LoadBalancerBackendAddress)")
        pools[pool_id] = members
    frontend_pools: dict[str, set] = {}
    rule_pools = {}
    for i, rule in enumerate(_list(p, "loadBalancingRules", path, kind, resource,
                                   f"{at}loadBalancingRules", required=False)):
        field = f"{at}loadBalancingRules[{i}]"
        if not isinstance(rule, dict):
            _fail(path, kind, resource, field, f"is {json_kind(rule)} ({brief(rule)}), not an "
                  "object", "expected a load-balancing rule")
        rp, inner = _inner(rule, field)
        referenced = [get(rp, "backendAddressPool")] + _list(
            rp, "backendAddressPools", path, kind, resource, f"{inner}backendAddressPools",
            required=False)
        pool_ids = {get(ref, "id").lower() for ref in referenced
                    if isinstance(get(ref, "id"), str)}
        rule_id = get(rule, "id")
        if isinstance(rule_id, str):
            rule_pools[rule_id.lower()] = pool_ids
        frontend = get(rp, "frontendIPConfiguration")
        if frontend is None:
            _fail(path, kind, resource, f"{inner}frontendIPConfiguration", "is missing",
                  "expected a reference to a frontend IP configuration")
        frontend_id = _ref_id(frontend, path, kind, resource,
                              f"{inner}frontendIPConfiguration").lower()
        frontend_pools.setdefault(frontend_id, set()).update(pool_ids)
    # The frontend's own list of rules (read-only in the spec) covers exports without rules.
    for i, frontend in enumerate(_list(p, "frontendIPConfigurations", path, kind, resource,
                                       f"{at}frontendIPConfigurations", required=False)):
        frontend_id = get(frontend, "id")
        if not isinstance(frontend_id, str):
            continue
        used = frontend_pools.setdefault(frontend_id.lower(), set())
        fp, inner = _inner(frontend, f"{at}frontendIPConfigurations[{i}]")
        for ref in _list(fp, "loadBalancingRules", path, kind, resource,
                         f"{inner}loadBalancingRules", required=False):
            if isinstance(get(ref, "id"), str):
                used.update(rule_pools.get(get(ref, "id").lower(), set()))
    return {frontend: set().union(*(pools.get(pool, set()) for pool in pool_ids))
            for frontend, pool_ids in frontend_pools.items()}


def _parse_pe(resource, path):
    """(private endpoint id, its region), both lower case."""
    kind = "private endpoint"
    rid = _text(resource, "id", path, kind, resource, "id", required=True,
                allowed="a private endpoint has a resource id (text)")
    location = _text(resource, "location", path, kind, resource, "location", required=True,
                     allowed="expected the region name")
    return rid.lower(), location.lower()


# ------------------------------------------------------------------------------ the table


def read_inventory(*paths, max_connections_per_vm=NIC_FLOWS, limits=None) -> Inventory:
    """One row per Private Link Service in Azure exports, with its ceiling and limits at risk.

    Parameters
    ----------
    *paths : str or path-like
        Export files (JSON, or CSV from the portal's Resource Graph explorer), in any order and
        mix: PLSs, load balancers, private endpoints, network interfaces. Resources of other
        types are skipped (counted in the :attr:`Inventory.notes`).
    max_connections_per_vm : float, "nic" or None, default "nic"
        Cap per backend VM in the ceiling [connections], as in :func:`plcapacity.size`:
        ``"nic"`` is the named limit :data:`PER_VM_CAP_LIMIT` (the NIC's 500,000 concurrent
        flows), None no cap.
    limits : Limits, optional
        Reference limits (see :func:`plcapacity.limits.get_limits`).

    Returns
    -------
    Inventory
        It reads like its ``table`` (the DataFrame this function returned before 0.2.0), one
        row per PLS, in input order, with the columns of :data:`INVENTORY_COLUMNS`:

        - ``pls_id``, ``name``, ``region``, ``load_balancer_id``,
          ``frontend_ip_configuration_id``, ``visibility``, ``source``: text.
        - ``nat_ips`` [-] (1 to 8), ``backend_vms`` [VMs] (``<NA>`` when the load balancer is
          not in the input), ``pls_on_load_balancer`` [-], ``private_endpoints`` and
          ``pending_connections`` [PEs].
        - ``pe_regions``: the approved endpoints' regions with counts, e.g.
          ``"eastus (3), westus2 (1)"`` (``unknown`` when neither the connection's
          ``privateEndpointLocation`` nor the private endpoint export gives it).
        - ``nat_port_limit`` and ``ceiling`` [connections], ``binding_limit``
          (``nat_ports`` or ``vm_connections``), as :func:`plcapacity.ceiling_table` computes
          them for one PLS (``pls_count=1``: each PLS has its own NAT IPs); ``<NA>`` without
          backend VMs.
        - ``findings``: limits at risk, each a sentence, joined by ``"; "`` (empty when none):
          one NAT IP only; more than :data:`PE_SHARE_AT_RISK` of ``limits.pe_per_pls``
          connections (approved plus pending); more PLSs on the load balancer than
          ``limits.pls_per_load_balancer``; every approved endpoint in one region; endpoint
          regions unknown; backend VMs unknown because the load balancer was not in the input,
          or none in the pools.

        Beside the table: ``connections``, one row per endpoint connection (``pls_id``,
        ``private_endpoint_id``, ``status``, ``region``); ``notes``, what was skipped or
        merged; ``max_connections_per_vm``, the cap used. (Deprecated, until 0.3.0: the
        table's ``.attrs["notes"]`` and ``.attrs["max_connections_per_vm"]`` repeat the last
        two; the connections are no longer in ``.attrs``.)

    Raises
    ------
    ValueError
        For a file that cannot be read, is too large or is not an export, and for a resource
        with a missing or malformed field (naming the file, the resource, the field and what
        is expected).

    Notes
    -----
    A PLS's ceiling is ``min(nat_ips * backend_vms * ports_per_nat_ip, backend_vms * cap)``.
    Several PLSs on one load balancer share its VMs, so each PLS's ceiling is the most it can
    carry alone. Backend VMs are counted once each: scale-set instances by instance, NICs by the
    VM they belong to when the network-interface export is given (else by NIC), IP-based pool
    members by address.

    Examples
    --------
    >>> import plcapacity as plc
    >>> folder = plc.data_path("examples/estate")
    >>> inventory = plc.read_inventory(folder / "pls.json", folder / "lb.json")
    >>> inventory[["name", "nat_ips", "backend_vms", "ceiling"]]   # ceiling [connections]
               name  nat_ips  backend_vms  ceiling
    0    pls-orders        4            6  1536000
    1  pls-payments        1            6   384000
    2    pls-search        2           12  1536000
    3    pls-legacy        2         <NA>     <NA>
    """
    if not paths:
        raise ValueError("read_inventory: give at least one export file")
    lim = limits or get_limits()
    cap = vm_cap(max_connections_per_vm, lim)
    documents = [(Path(path), _resources(load_records(path), path)) for path in paths]
    by_type: dict[str, list] = {kind: [] for kind in _KNOWN_TYPES}
    skipped = Counter()
    for path, items in documents:
        for where, resource in items:
            kind = _resource_type(resource)
            if kind in by_type:
                by_type[kind].append((path, {**resource, _WHERE: where}))
            else:
                skipped[kind or "without a type or id"] += 1
    notes = [f"skipped {n} resource(s) of type {kind}" for kind, n in sorted(skipped.items())]
    if not by_type[PLS_TYPE]:
        raise ValueError(f"{', '.join(map(str, paths))}: no private link service found (type "
                         "Microsoft.Network/privateLinkServices); give the output of az network "
                         "private-link-service list or a Resource Graph query for it")
    nic_vm = {}
    for _, nic in by_type[NIC_TYPE]:
        vm = get(props(nic), "virtualMachine")
        if isinstance(get(nic, "id"), str) and isinstance(get(vm, "id"), str):
            nic_vm[get(nic, "id").lower()] = get(vm, "id").lower()
    frontends = {}
    for path, lb in by_type[LB_TYPE]:
        frontends.update(_parse_lb(lb, path, nic_vm))
    known_lbs = {get(lb, "id").lower() for _, lb in by_type[LB_TYPE]
                 if isinstance(get(lb, "id"), str)}
    pe_region = dict(_parse_pe(pe, path) for path, pe in by_type[PE_TYPE])
    services, seen = [], set()
    for path, resource in by_type[PLS_TYPE]:
        service = _parse_pls(resource, path)
        key = service["pls_id"].lower()
        if key in seen:
            notes.append(f"{service['name']}: read twice, kept the first ({service['source']})")
            continue
        seen.add(key)
        services.append(service)
    connections = []
    for service in services:
        for connection in service.pop("connections"):
            if connection["region"] is None:
                connection["region"] = pe_region.get(connection["private_endpoint_id"].lower())
            connections.append({"pls_id": service["pls_id"], **connection})
    table = pd.DataFrame(services)
    frame = pd.DataFrame(connections, columns=["pls_id", "private_endpoint_id", "status",
                                               "region"])
    table = _add_counts(table, frame, frontends, known_lbs)
    table = _add_ceilings(table, lim, cap)
    table["findings"] = _findings(table, lim)
    table = table[list(INVENTORY_COLUMNS)]
    # Deprecated (0.2.0, removed in 0.3.0): the small keys of 0.1's .attrs, for readers not yet
    # on the Inventory's attributes. Never the connections: pandas deep-copies .attrs on every
    # operation, and a list of every connection made each copy cost as much as the estate.
    table.attrs["notes"] = list(notes)
    table.attrs["max_connections_per_vm"] = cap
    return Inventory(table, frame, tuple(notes), cap)


def _add_counts(table, connections, frontends, known_lbs):
    lb = table["load_balancer_id"].str.lower()
    table["pls_on_load_balancer"] = lb.map(lb.value_counts()).astype("int64")
    vms = [len(frontends.get(f.lower(), ())) if l in known_lbs else pd.NA
           for f, l in zip(table["frontend_ip_configuration_id"], lb)]
    table["backend_vms"] = pd.array(vms, dtype="Int64")
    status = connections["status"]
    approved = connections[status == "approved"]
    counts = approved.groupby("pls_id").size()
    pending = connections[status == "pending"].groupby("pls_id").size()
    table["private_endpoints"] = table["pls_id"].map(counts).fillna(0).astype("int64")
    table["pending_connections"] = table["pls_id"].map(pending).fillna(0).astype("int64")
    regions = approved.assign(region=approved["region"].fillna("unknown"))
    per_region = regions.groupby(["pls_id", "region"]).size().reset_index(name="n")
    per_region = per_region.sort_values(["pls_id", "n", "region"], ascending=[True, False, True])
    text = (per_region["region"] + " (" + per_region["n"].astype(str) + ")").groupby(
        per_region["pls_id"]).agg(", ".join)
    table["pe_regions"] = [text.get(key, "") for key in table["pls_id"]]
    table["distinct_pe_regions"] = table["pls_id"].map(
        regions.groupby("pls_id")["region"].nunique()).fillna(0).astype("int64")
    unlocated = approved[approved["region"].isna()].groupby("pls_id").size()
    table["unknown_pe_regions"] = table["pls_id"].map(unlocated).fillna(0).astype("int64")
    first = regions.groupby("pls_id")["region"].first()
    table["only_pe_region"] = [first.get(key, "") for key in table["pls_id"]]
    return table


def _add_ceilings(table, lim, cap):
    vms = table["backend_vms"]
    nat = table["nat_ips"]
    usable = (vms.notna() & (vms >= 1) & (vms <= lim.backend_pool_size)
              & (nat >= lim.min_nat_ips_per_pls) & (nat <= lim.nat_ips_per_pls)).to_numpy(bool)
    n = len(table)
    nat_port_limit = np.zeros(n, dtype=np.int64)
    ceiling = np.zeros(n, dtype=np.float64)
    binding = np.full(n, None, dtype=object)
    if usable.any():
        nat_ok = nat.to_numpy()[usable].astype(np.int64)
        vms_ok = vms.to_numpy(dtype="int64", na_value=1)[usable]
        # the one capacity model (as sizing, batch rows and deployment files use)
        figures = deployment_capacity(nat_ok, vms_ok, max_connections_per_vm=cap, limits=lim)
        nat_port_limit[usable] = figures["port_capacity"].astype(np.int64)
        ceiling[usable] = figures["ceiling"]
        binding[usable] = figures["binding_limit"]
    table["nat_port_limit"] = pd.array(np.where(usable, nat_port_limit, 0), dtype="Int64")
    table.loc[~usable, "nat_port_limit"] = pd.NA
    as_int = cap is None or float(cap).is_integer()
    table["ceiling"] = pd.array(ceiling.astype(np.int64) if as_int else ceiling,
                                dtype="Int64" if as_int else "Float64")
    table.loc[~usable, "ceiling"] = pd.NA
    table["binding_limit"] = binding
    return table


def _findings(table, lim) -> list[str]:
    pe_limit = lim.pe_per_pls
    per_lb = lim.pls_per_load_balancer
    findings = []
    for row in table.itertuples(index=False):  # a handful of services: readable sentences
        items = []
        if row.nat_ips == 1:
            items.append(f"one NAT IP only: {lim.ports_per_nat_ip:,} ports per backend VM "
                         "and no second NAT IP to share the load (a PLS takes up to "
                         f"{lim.nat_ips_per_pls})")
        elif not lim.min_nat_ips_per_pls <= row.nat_ips <= lim.nat_ips_per_pls:
            items.append(f"{row.nat_ips} NAT IP configurations, outside the "
                         f"{lim.min_nat_ips_per_pls} to {lim.nat_ips_per_pls} a PLS has: no "
                         "ceiling computed")
        used = row.private_endpoints + row.pending_connections
        if used > PE_SHARE_AT_RISK * pe_limit:
            items.append(f"{used:,} endpoint connections ({used / pe_limit:.0%} of the "
                         f"{pe_limit:,} a PLS accepts)")
        if row.pls_on_load_balancer > per_lb:
            items.append(f"{row.pls_on_load_balancer} PLSs on load balancer "
                         f"{row.load_balancer_id.rstrip('/').split('/')[-1]}, more than the "
                         f"{per_lb} allowed")
        if row.private_endpoints >= 1 and row.distinct_pe_regions == 1 \
                and row.only_pe_region != "unknown":
            if row.only_pe_region == row.region:
                items.append(f"the PLS and every private endpoint are in {row.region}: an "
                             "outage there stops the service, and endpoints in other regions "
                             "would not help (they reach this regional PLS) where a second PLS "
                             "in another region would")
            else:
                items.append(f"every private endpoint is in {row.only_pe_region}: one regional "
                             "outage there cuts off all consumers, where an endpoint in another "
                             f"region would keep them while {row.region} (the PLS's region) is "
                             "up")
        if row.unknown_pe_regions:
            items.append(f"the region of {row.unknown_pe_regions} private endpoint(s) is "
                         "unknown (add az network private-endpoint list output)")
        if pd.isna(row.backend_vms):
            items.append(f"backend VMs unknown: load balancer "
                         f"{row.load_balancer_id.rstrip('/').split('/')[-1]} is not in the "
                         "input (add az network lb list output)")
        elif row.backend_vms == 0:
            items.append("no backend VMs behind the load-balancing rules of its frontend")
        elif row.backend_vms > lim.backend_pool_size:
            items.append(f"{row.backend_vms:,} backend VMs, more than the "
                         f"{lim.backend_pool_size:,} a pool holds")
        findings.append("; ".join(items))
    return findings


def as_inventory(inventory, *, need_connections=True, stacklevel=4) -> Inventory:
    """``inventory`` as an :class:`Inventory`: itself, or (deprecated) a DataFrame of
    plcapacity 0.1 with the inventory in its ``.attrs``.

    Parameters
    ----------
    inventory : Inventory or pandas.DataFrame
        The result of :func:`read_inventory`; or a table with its columns, whose ``.attrs``
        keys of :data:`LEGACY_ATTRS` are read with a DeprecationWarning.
    need_connections : bool, default True
        Whether the caller needs the endpoint connections (a table without them is then
        refused); without, such a table gets none.
    stacklevel : int, default 4
        Where the DeprecationWarning points (4: the caller of the function that calls this).

    Returns
    -------
    Inventory

    Raises
    ------
    ValueError
        For anything else, or a table without connections when they are needed.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"pls_id": ["/x/pls"], "name": ["pls"]})
    >>> as_inventory(table, need_connections=False).connections.empty
    True
    """
    if isinstance(inventory, Inventory):
        return inventory
    if not isinstance(inventory, pd.DataFrame) or not {"pls_id", "name"} <= set(inventory.columns):
        raise ValueError("inventory: give the result of plcapacity.read_inventory")
    attrs = inventory.attrs
    if need_connections and "connections" not in attrs:
        raise ValueError("inventory: give the result of plcapacity.read_inventory (an "
                         "Inventory; a table alone has no endpoint connections)")
    legacy = [key for key in LEGACY_ATTRS if key in attrs]
    if legacy:
        keys = ", ".join(f".attrs[{key!r}]" for key in legacy)
        warn_deprecated(f"an inventory DataFrame with {keys}", since="0.2.0", removal="0.3.0",
                        alternative="the Inventory that plcapacity.read_inventory returns "
                                    "(its connections, notes and max_connections_per_vm)",
                        stacklevel=stacklevel)
    connections = pd.DataFrame(attrs.get("connections") or [], columns=list(CONNECTION_COLUMNS))
    return Inventory(inventory, connections, tuple(attrs.get("notes", ())),
                     attrs.get("max_connections_per_vm"))


def connections_table(inventory) -> pd.DataFrame:
    """The private endpoint connections behind an inventory, one row per connection.

    Parameters
    ----------
    inventory : Inventory
        The result of :func:`read_inventory` (a DataFrame of plcapacity 0.1 with
        ``.attrs["connections"]`` is read with a DeprecationWarning).

    Returns
    -------
    pandas.DataFrame
        A copy of :attr:`Inventory.connections`: ``pls_id``, ``private_endpoint_id``,
        ``status`` (lower case: approved, pending, rejected, disconnected) and ``region``
        (missing when unknown).

    Examples
    --------
    >>> import plcapacity as plc
    >>> folder = plc.data_path("examples/estate")
    >>> links = connections_table(plc.read_inventory(folder / "pls.json"))
    >>> list(links.columns)
    ['pls_id', 'private_endpoint_id', 'status', 'region']
    """
    return as_inventory(inventory).connections.copy()


def deployment_from_inventory(inventory: Inventory, pls, demand=None, *, failover=None,
                              sla=None) -> Deployment:
    """The availability model of one deployed PLS: it, and its approved endpoints.

    Parameters
    ----------
    inventory : Inventory
        The result of :func:`read_inventory` (a DataFrame of plcapacity 0.1 with
        ``.attrs["connections"]`` is read with a DeprecationWarning, until 0.3.0).
    pls : str
        The PLS's name or resource id (case ignored).
    demand : float, optional
        Connections to serve. [connections] Needs the PLS's ceiling (its load balancer in the
        inventory).
    failover : Failover, optional
        Default active-active over the endpoints.
    sla : SLA, optional
        Default: the Private Link SLA.

    Returns
    -------
    Deployment
        One destination (the PLS in its region, capacity its ceiling when known) and one
        endpoint per approved connection, named after the private endpoint, in its region.
        Pass it with an :class:`plcapacity.OutageModel` to :func:`plcapacity.exact_summary` or
        :func:`plcapacity.simulate`.

    Raises
    ------
    ValueError
        For an unknown or ambiguous PLS, one without approved endpoints, an endpoint whose
        region is unknown, or a demand without a ceiling.

    Examples
    --------
    >>> import plcapacity as plc
    >>> folder = plc.data_path("examples/estate")
    >>> inventory = plc.read_inventory(folder / "pls.json", folder / "lb.json", folder / "pe.json")
    >>> d = plc.deployment_from_inventory(inventory, "pls-orders", demand=1_000_000)
    >>> len(d.endpoints), sorted({e.region for e in d.endpoints})
    (31, ['eastus', 'northeurope', 'westus2'])
    >>> d.destinations[0].capacity_connections     # the PLS's ceiling [connections]
    1536000.0
    """
    found = as_inventory(inventory)
    inventory = found.table
    key = str(pls).lower()
    match = inventory[(inventory["pls_id"].str.lower() == key)
                      | (inventory["name"].str.lower() == key)]
    if len(match) != 1:
        names = ", ".join(inventory["name"])
        problem = "matches several services (give the resource id)" if len(match) else \
            "is not in the inventory"
        raise ValueError(f"pls={pls!r} {problem}; known: {names}")
    row = match.iloc[0]
    links = found.connections
    links = links[(links["pls_id"].str.lower() == row["pls_id"].lower())
                  & (links["status"] == "approved")]
    if links.empty:
        raise ValueError(f"PLS {row['name']!r} has no approved private endpoint connection: "
                         "nothing to model")
    unknown = links[links["region"].isna()]
    if len(unknown):
        raise ValueError(f"PLS {row['name']!r}: the region of private endpoint "
                         f"{unknown['private_endpoint_id'].iloc[0]} is unknown; add the "
                         "private endpoint export (az network private-endpoint list) to the "
                         "inventory")
    known = set(region_names())
    strange = sorted(set(links["region"]) - known)
    if strange:
        raise ValueError(f"PLS {row['name']!r}: endpoint region(s) {', '.join(strange)} are not "
                         "in data/regions.csv")
    capacity = None if pd.isna(row["ceiling"]) else float(row["ceiling"])
    if capacity is not None:  # the capacity model, so that churn in a Demand counts
        destination = Destination(row["name"], row["region"], nat_ips=int(row["nat_ips"]),
                                  backend_vms=int(row["backend_vms"]),
                                  max_connections_per_vm=found.max_connections_per_vm)
    else:
        destination = Destination(row["name"], row["region"])
    if demand is not None and capacity is None:
        raise ValueError(f"PLS {row['name']!r}: demand needs its ceiling, and its backend VMs are "
                         "unknown (add the load balancer export to the inventory)")
    names = links["private_endpoint_id"].str.rstrip("/").str.split("/").str[-1]
    if names.duplicated().any():  # same name in two resource groups
        names = names + "-" + pd.Series(range(len(names)), index=names.index).astype(str)
    endpoints = [Endpoint(name, region, row["name"])
                 for name, region in zip(names, links["region"])]
    options = {}
    if failover is not None:
        options["failover"] = failover
    if sla is not None:
        options["sla"] = sla
    return Deployment([destination], endpoints, demand_connections=demand, **options)
