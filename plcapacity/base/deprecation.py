"""One way to deprecate: every moved or renamed name warns the same way.

A deprecated name keeps working for one release and then goes; its warning says since when,
when it goes and what to use instead (after astropy's ``deprecated(since, message, name,
alternative)``). ``CHANGELOG.md`` lists each under *Deprecated*.

Two kinds of names move:

- **modules**: the flat modules of plcapacity 0.1 (``plcapacity.sizing``, ``plcapacity.montecarlo``
  ...) now live in families (``plcapacity.capacity.sizing``, ``plcapacity.availability.
  simulation``). :func:`install_module_aliases` makes ``import plcapacity.sizing`` return the
  new module (the same object, so patching one patches the other) with one warning;
- **attributes**: a function, constant or mapping key renamed in place warns through
  :func:`warn_deprecated`.
"""

from __future__ import annotations

import importlib
import sys
import warnings

__all__ = ["warn_deprecated", "deprecation_message", "install_module_aliases"]


def deprecation_message(name, *, since, removal, alternative=None) -> str:
    """The sentence every deprecation warning of plcapacity uses.

    Parameters
    ----------
    name : str
        The deprecated name as users write it (``"plcapacity.sizing"``).
    since : str
        The version that deprecated it.
    removal : str
        The version that removes it.
    alternative : str, optional
        What to use instead.

    Examples
    --------
    >>> deprecation_message("plcapacity.sizing", since="0.2.0", removal="0.3.0",
    ...                     alternative="plcapacity.capacity.sizing")
    'plcapacity.sizing is deprecated since 0.2.0 and will be removed in 0.3.0; use plcapacity.capacity.sizing instead'
    """
    text = f"{name} is deprecated since {since} and will be removed in {removal}"
    return text + (f"; use {alternative} instead" if alternative else "")


def warn_deprecated(name, *, since, removal, alternative=None, stacklevel=3) -> None:
    """Warn (``DeprecationWarning``) that ``name`` is deprecated, in the shared wording."""
    warnings.warn(deprecation_message(name, since=since, removal=removal,
                                      alternative=alternative),
                  DeprecationWarning, stacklevel=stacklevel)


class _AliasLoader:
    """Loads an alias by importing its target: the alias *is* the target module. (The
    import system's loader protocol; no ``importlib.abc`` base, which is slow to import.)"""

    def __init__(self, alias, target, since, removal):
        self.alias, self.target, self.since, self.removal = alias, target, since, removal

    def create_module(self, spec):
        if self.since is not None:
            # stacklevel: warn at the user's import statement, past importlib's frames
            warn_deprecated(self.alias, since=self.since, removal=self.removal,
                            alternative=self.target, stacklevel=8)
        return importlib.import_module(self.target)

    def exec_module(self, module):
        pass  # the target ran its own code when it was imported


class _AliasFinder:
    """A ``sys.meta_path`` finder that knows the aliases and nothing else."""

    def __init__(self, aliases):
        self.aliases = aliases

    def find_spec(self, fullname, path=None, target=None):
        entry = self.aliases.get(fullname)
        if entry is None:
            return None
        import importlib.util
        new, since, removal = entry
        return importlib.util.spec_from_loader(fullname,
                                               _AliasLoader(fullname, new, since, removal))


def install_module_aliases(aliases: dict, *, since=None, removal=None) -> None:
    """Make each ``old -> new`` module name importable under its old name.

    Parameters
    ----------
    aliases : dict
        ``{"plcapacity.sizing": "plcapacity.capacity.sizing", ...}``.
    since, removal : str, optional
        Versions for the deprecation warning; ``None`` makes a plain, silent alias (for names
        that stay documented, such as ``plcapacity.limits``).
    """
    for finder in sys.meta_path:
        if isinstance(finder, _AliasFinder):
            break
    else:
        finder = _AliasFinder({})
        sys.meta_path.append(finder)
    finder.aliases.update({old: (new, since, removal) for old, new in aliases.items()})
