"""What an incident's location names: regions, groups, aliases (plcapacity.outages.locations)."""

import pytest

import plcapacity as plc
from plcapacity.outages.locations import MULTI_REGION, alias_table, parse_location


@pytest.mark.parametrize("text, expected", [
    pytest.param("West Europe", ("region", "westeurope", ("westeurope",)), id="display-name"),
    pytest.param("westus2", ("region", "westus2", ("westus2",)), id="catalog-name"),
    pytest.param("West US 2", ("region", "westus2", ("westus2",)), id="display-digit"),
    pytest.param("South East Asia", ("region", "southeastasia", ("southeastasia",)),
                 id="spaced"),
    pytest.param("UK South / UK West", ("group", "uksouth / ukwest", ("uksouth", "ukwest")),
                 id="slash"),
    pytest.param("UK West and UK South", ("group", "uksouth / ukwest", ("uksouth", "ukwest")),
                 id="and-reversed"),
    pytest.param("Australia East/Southeast",
                 ("group", "australiaeast / australiasoutheast",
                  ("australiaeast", "australiasoutheast")), id="alias"),
    pytest.param("Multi-region", ("not attributed", "Multi-region", ()), id="multi"),
    pytest.param("global", ("not attributed", "Multi-region", ()), id="global-alias"),
    pytest.param("USGov Virginia", ("excluded", "USGov Virginia", ()), id="sovereign"),
    pytest.param("Networking Issue in South Central US (Tracking ID DMP0",
                 ("region", "southcentralus", ("southcentralus",)), id="title-quirk"),
])
def test_parse_location(text, expected):
    assert parse_location(text) == expected


def test_parse_location_geography_is_a_group_over_its_regions():
    kind, name, regions = parse_location("Europe")
    assert (kind, name) == ("group", "Europe")
    assert regions == tuple(plc.regions.regions_in_geography("Europe"))
    # North America is an alias for the catalog's United States and Canada.
    kind, name, regions = parse_location("North America")
    assert name == "Canada / United States"
    assert set(regions) == (set(plc.regions.regions_in_geography("United States"))
                            | set(plc.regions.regions_in_geography("Canada")))


def test_parse_location_user_alias():
    assert parse_location("HQ", aliases={"HQ": "East US"}) == ("region", "eastus", ("eastus",))
    assert parse_location("Lab", aliases={"Lab": ""})[0] == "excluded"


def test_alias_table_is_the_shipped_file_with_user_aliases_on_top():
    shipped = alias_table(None)
    assert shipped["global"] == MULTI_REGION == "Multi-region"
    assert shipped["USGov Virginia"] == ""  # another cloud: left out
    assert len(shipped) == 8  # the eight rows of data/outages/location_aliases.csv
    mine = alias_table({"HQ": "East US", "global": "West Europe"})
    assert mine["HQ"] == "East US" and mine["global"] == "West Europe"  # the user's win
    assert mine["USGov Iowa"] == ""
    with pytest.raises(ValueError, match=r"aliases=\['HQ'\] is not allowed: a dict"):
        alias_table(["HQ"])


def test_parse_location_error_names_where_and_the_part_not_understood():
    with pytest.raises(ValueError, match=r"^row 3: location='West Europe / Atlantis': "
                                         r"'Atlantis' is neither a region nor a geography"):
        parse_location("West Europe / Atlantis", where="row 3")
