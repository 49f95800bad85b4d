"""Region catalog from data/regions.csv (docs/azure-facts.md)."""

import pytest

from plcapacity.base.regions import (
    DeclaredRegion,
    check_region,
    has_availability_zones,
    region_catalog,
    region_names,
    regions_in_geography,
)


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


def test_a_declared_region_is_its_name_and_passes_every_check():
    import pickle
    lab = DeclaredRegion("lab-1")
    assert lab == "lab-1" and hash(lab) == hash("lab-1") and check_region(lab) is lab
    assert not has_availability_zones(lab)
    zoned = DeclaredRegion("site-9", availability_zones=True)
    assert has_availability_zones(zoned) and has_availability_zones("eastus")
    again = pickle.loads(pickle.dumps(zoned))  # to worker processes and back
    assert isinstance(again, DeclaredRegion) and again.availability_zones and again == "site-9"
    with pytest.raises(ValueError, match=r"unknown region 'lab-1'.*declare others"):
        check_region("lab-1")  # the name alone, undeclared


@pytest.mark.parametrize("name, fragment", [
    ("eastus", "is a catalog region"), ("Lab 1", "lower-case letters"), ("", "lower-case"),
    ("-x", "lower-case"), ("a" * 65, "at most 64"), (7, "lower-case")])
def test_declared_region_names_are_checked(name, fragment):
    with pytest.raises(ValueError, match=fragment):
        DeclaredRegion(name)
