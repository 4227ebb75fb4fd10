"""RULES.md §8 as rows (loaded by migration 0002; editable in the admin afterwards)."""
from __future__ import annotations

from datetime import date

# valid_from, rate ppm, minimum income (rural poverty line), ceiling multiple of the base salary, source
VOLUNTARY = [
    (date(2022, 1, 1), 220_000, 1_500_000, 20, "Law 58/2014, Decree 07/2021 poverty line 1,500,000"),
]
# category, valid_from, share of the contribution on the poverty-line income, source
SUPPORT = [
    ("poor", date(2025, 7, 1), 500_000, "Decree 159/2025 (verify levels for your year)"),
    ("near_poor", date(2025, 7, 1), 400_000, "Decree 159/2025 (verify)"),
    ("ethnic_minority", date(2025, 7, 1), 300_000, "Decree 159/2025 (verify)"),
    ("other", date(2025, 7, 1), 200_000, "Decree 159/2025 (verify)"),
    # before 1 Jul 2025 (Decree 134/2015): poor 30 %, near-poor 25 %, others 10 %
    ("poor", date(2018, 1, 1), 300_000, "Decree 134/2015"),
    ("near_poor", date(2018, 1, 1), 250_000, "Decree 134/2015"),
    ("ethnic_minority", date(2018, 1, 1), 100_000, "Decree 134/2015 (others)"),
    ("other", date(2018, 1, 1), 100_000, "Decree 134/2015"),
]
# valid_from, rate ppm of the base salary for the 1st member, shares of the 2nd, 3rd, 4th, 5th+ members
HOUSEHOLD = [
    (date(2015, 1, 1), 45_000, 700_000, 600_000, 500_000, 400_000, "Decree 146/2018 Art. 7; Law on HI"),
]
