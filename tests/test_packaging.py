"""Set-up a newcomer can trust: the same dependencies everywhere, data inside the wheel."""

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _requirement(text):
    return re.sub(r"\s+", "", text).lower()


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(map(_requirement, project["dependencies"]))
    for extra in project["optional-dependencies"].values():
        wanted |= set(map(_requirement, extra))
    listed = set()
    in_pip = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.strip() == "- pip:":
            in_pip = True
            continue
        match = re.match(r"^      - (\S.*)$", line)  # the pip: list
        if in_pip and match and not match.group(1).startswith("-e"):
            listed.add(_requirement(match.group(1)))
    listed = {dep for dep in listed if not dep.startswith("python")}
    assert listed == wanted


@pytest.mark.slow
def test_wheel_carries_reference_data_and_works_installed(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path / "dist"), "-q"], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    wheel = next((tmp_path / "dist").glob("plcapacity-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for table in ("azure_limits.csv", "regions.csv", "pricing.csv", "sla.csv",
                  "outages/azure_status_incidents_2018_2020.csv", "outages/location_aliases.csv",
                  "outages/README.md"):
        assert f"plcapacity/data/{table}" in names
    # The package's license and the incident data's MIT notice travel with the wheel.
    licenses = {name.rpartition("/")[2] for name in names if ".dist-info/licenses/" in name}
    assert {"LICENSE", "THIRD_PARTY_NOTICES.md"} <= licenses
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # Run from an empty folder with the unpacked wheel first on the path: no checkout in sight.
    probe = ("import plcapacity, plcapacity.limits as l, plcapacity.regions as r;"
             "print(plcapacity.__file__); print(l.data_path());"
             "print(l.get_limits().ports_per_nat_ip, len(r.region_names()),"
             " plcapacity.connection_ceiling(8, 10))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(site)})
    assert done.returncode == 0, done.stderr
    module_file, data_dir, values = done.stdout.splitlines()
    assert module_file.startswith(str(site)) and data_dir.startswith(str(site))
    assert values == "64000 55 5120000"
    # The evidence outage profile is fitted from the incident list inside the wheel.
    probe = ("import plcapacity as p; m = p.outage_profile('azure-status-2018-2020');"
             "print(m.regions['westeurope'][0])")
    fitted = subprocess.run([sys.executable, "-c", probe],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(site)})
    assert fitted.returncode == 0, fitted.stderr
    assert fitted.stdout.strip() == "11.0"  # 22 merged West Europe incidents in 2018-2019
    # `plcapacity examples` finds the examples inside the wheel and copies them out.
    assert "plcapacity/data/examples/services.csv" in names
    copied = subprocess.run([sys.executable, "-c", "import sys, plcapacity.cli as c;"
                             "sys.exit(c.main(['examples', 'ex']))"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(site)})
    assert copied.returncode == 0, copied.stderr
    assert (tmp_path / "ex" / "services.csv").is_file()
    assert (tmp_path / "ex" / "estate" / "pls.json").is_file()
