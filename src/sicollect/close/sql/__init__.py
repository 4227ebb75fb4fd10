"""The set-based monthly close (see engine.py)."""
from .engine import CloseSummary, close_engine, run_close

__all__ = ["CloseSummary", "close_engine", "run_close"]
