"""Region catalog from data/regions.csv (docs/azure-facts.md)."""

import pytest

from plcapacity.base.regions import check_region, region_catalog, region_names, regions_in_geography


def test_catalog_matches_facts():
    catalog = region_catalog()
    assert len(catalog) == 55  # rows of data/regions.csv (docs/azure-facts.md, "Regions")
    assert catalog.loc["eastus", "paired_region"] == "westus"
    assert catalog.loc["eastus", "availability_zones"]
    assert not catalog.loc["westus", "availability_zones"]
    assert catalog.loc["francesouth", "restricted_access"]
    assert catalog.loc["westus3", "one_way_pair"]
    assert catalog.loc["austriaeast", "geography"] == "Austria"


def test_pairs_point_at_known_regions():
    catalog = region_catalog()
    pairs = catalog["paired_region"].dropna()
    # swedensouth is swedencentral's pair in the source but is not itself listed there.
    assert set(pairs) - set(catalog.index) == {"swedensouth"}


def test_check_region_accepts_known_and_suggests_closest():
    assert check_region("westeurope") == "westeurope"
    with pytest.raises(ValueError, match="unknown region 'eastus3'.*closest known: eastus"):
        check_region("eastus3")
    with pytest.raises(ValueError, match="deployment.toml, \\[\\[endpoints\\]\\] region"):
        check_region("nowhere", where="deployment.toml, [[endpoints]] region")


def test_geography():
    assert "eastus" in regions_in_geography("United States")
    assert regions_in_geography("Japan") == ["japaneast", "japanwest"]
    with pytest.raises(ValueError, match="unknown geography"):
        regions_in_geography("Atlantis")


def test_names_sorted():
    names = region_names()
    assert names == sorted(names) and "uksouth" in names
