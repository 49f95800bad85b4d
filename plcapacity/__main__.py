"""``python -m plcapacity ...``: the same as the ``plcapacity`` command."""

from ._entry import main

if __name__ == "__main__":  # pragma: no cover
    main()
