"""Progress bars: one wrapper for every long-running loop (simulations, batch runs)."""

from __future__ import annotations

__all__ = ["progress_bar"]


def progress_bar(progress, total, *, unit, desc, at_least=1, unit_scale=False):
    """A tqdm bar, or None when none should be shown.

    Parameters
    ----------
    progress : bool or None
        True: always; False: never; None: only for runs of at least ``at_least`` units, and
        only where there is a terminal or a notebook (tqdm hides itself in files and CI logs).
    total : int
        Units of work.
    unit, desc : str
        What is counted and what the bar is for.
    at_least : int
        Smallest ``total`` that shows a bar by default.
    unit_scale : bool
        Show large counts as 1.2M.
    """
    if progress is False or total == 0 or (progress is None and total < at_least):
        return None
    from tqdm.auto import tqdm
    # disable=None lets tqdm hide itself where there is no terminal (files, CI logs); leave=False
    # so a finished bar does not stay in a notebook's saved output at 100 % or less.
    return tqdm(total=total, unit=unit, unit_scale=unit_scale, desc=desc,
                disable=None if progress is None else False, leave=False)
