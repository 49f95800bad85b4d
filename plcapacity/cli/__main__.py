"""``python -m plcapacity.cli ...``: the same as the ``plcapacity`` command."""

import sys

from plcapacity.cli.main import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
