"""Optional packages: what `make run` does not install, and the message when one is missing.

The runtime set (requirements.txt) serves the web app and the CLI. The close on DuckDB or Spark needs
the *scale* set (requirements-scale.txt), Splink record linkage the *discovery* set
(requirements-discovery.txt); `make test` and `make bench` install them. Code that uses one imports it
inside the function, after :func:`require`, so the app starts without them::

    >>> require("sqlite3", "a test")  # present: returns the module
    <module 'sqlite3' ...>
"""
from __future__ import annotations

import importlib
from types import ModuleType

#: package → the requirements file (extra) that installs it
EXTRA_OF = {"duckdb": "scale", "numpy": "scale", "pyarrow": "scale", "pyspark": "scale", "splink": "discovery"}


class MissingOptional(ImportError):
    """An optional package is not installed; the message says which file installs it."""


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingOptional` naming ``purpose`` and the install command."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        top = module.split(".")[0]
        if exc.name is not None and exc.name.split(".")[0] != top:
            raise  # the package is there but broken: let the real error through
        extra = EXTRA_OF.get(top, "test")
        raise MissingOptional(
            f"{purpose} needs the Python package '{top}', which is not installed (it is not part of `make run`): "
            f".venv/bin/pip install -r requirements-{extra}.txt (or pip install 'sicollect[{extra}]')") from None
