"""The set-based monthly close (see engine.py)."""
from .engine import close_engine, run_close

__all__ = ["close_engine", "run_close"]
