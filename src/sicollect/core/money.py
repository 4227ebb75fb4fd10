"""Money is an integer number of đồng; rates are integers in parts per million.

Integer arithmetic keeps the Python reference calculator and the SQL close
equal to the đồng on every engine: 14 % is 140_000 ppm, 0.03 % is 300 ppm,
0.9666 % is 9_666 ppm.
"""
from __future__ import annotations

PPM = 1_000_000


def round_half_up(numerator: int, denominator: int) -> int:
    """Round ``numerator / denominator`` to the nearest integer, halves away from zero.

    >>> round_half_up(5, 10), round_half_up(-5, 10), round_half_up(149, 100)
    (1, -1, 1)
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return q if numerator >= 0 else -q


def apply_rate(amount: int, rate_ppm: int) -> int:
    """``amount × rate`` rounded to the đồng, half up. ``apply_rate(5_000_000, 220_000) == 1_100_000``."""
    return round_half_up(amount * rate_ppm, PPM)


def format_vnd(amount: int) -> str:
    """Vietnamese grouping: ``1234567`` → ``"1.234.567"``."""
    sign = "-" if amount < 0 else ""
    return sign + f"{abs(amount):,}".replace(",", ".")


def format_ppm_percent(rate_ppm: int) -> str:
    """``300`` → ``"0.03%"``; ``9666`` → ``"0.9666%"``."""
    whole, frac = divmod(rate_ppm, 10_000)
    text = f"{whole}.{frac:04d}".rstrip("0").rstrip(".")
    return f"{text}%"


def pct(numerator: int, denominator: int | None) -> float | None:
    """``numerator / denominator`` in percent, two decimals, half up; None without a plan.

    >>> pct(1, 3), pct(2, 3), pct(5, 0)
    (33.33, 66.67, None)
    """
    if not denominator:
        return None
    hundredths = (numerator * 10_000 * 2 + denominator) // (2 * denominator)
    return hundredths / 100
