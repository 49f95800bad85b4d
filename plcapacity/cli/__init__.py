"""The command line, ``plcapacity``: parse the arguments, call the library, print or write.

The family is thin and holds no model logic: every figure comes from the other families'
public functions. Bad input prints one line on stderr and exits with code 2 (no traceback);
a demand that no deployment within Azure's limits can carry exits with code 1.

Modules:

- :mod:`~plcapacity.cli.main`: ``main(argv)``, the top-level parser that registers each
  command's subparser, and the error handling (one line per error, exit codes).
- :mod:`~plcapacity.cli.arguments`: the one-line-error parser and the value types
  (``2,000,000``, ``20%``, ``1-4,8``, ``nic``) and options the commands share.
- :mod:`~plcapacity.cli.output`: tables, CSV, JSON, summaries, notes, warnings in the
  command line's flags, and the exit codes.
- One module per command, each with ``add_parser(commands)`` and ``run(args, out, err)``:
  :mod:`~plcapacity.cli.ceiling`, :mod:`~plcapacity.cli.size`, :mod:`~plcapacity.cli.plan`,
  :mod:`~plcapacity.cli.simulate`, :mod:`~plcapacity.cli.exact`,
  :mod:`~plcapacity.cli.batch`, :mod:`~plcapacity.cli.report`,
  :mod:`~plcapacity.cli.fit_outages` (``fit-outages``), :mod:`~plcapacity.cli.estate`,
  :mod:`~plcapacity.cli.examples`.
- ``__main__``: ``python -m plcapacity.cli ...``, the same as ``plcapacity ...``.

Usage::

    plcapacity ceiling --nat-ips 1-8 --vms 2,4,8 [--pls 1] [--format table|csv|json]
    plcapacity size 2000000 --new-connections-per-s 1000 --vm-failures-tolerated 1
    plcapacity size --input data/examples/sizing-requests.csv
    plcapacity plan 2e6 --regions eastus,westus2,centralus --slo-percent 99.99 [-o plan.toml]
    plcapacity simulate deployment.toml --trials 1e6 --seed 7
    plcapacity exact deployment.toml
    plcapacity batch data/examples/services.csv -o results.csv [--resume] [--scheduler ADDR]
    plcapacity report data/examples/services.csv -o report.html
    plcapacity fit-outages incidents.csv [--format table|toml|json] [--period START END]
                           [--regions LIST]
    plcapacity estate --inventory pls.json lb.json pe.json --metrics nat-ports.json -o estate.html
    plcapacity examples [DIR] [--force]
    plcapacity --version
"""

from plcapacity.cli.main import main

__all__ = ["main"]
