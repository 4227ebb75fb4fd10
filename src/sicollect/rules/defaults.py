"""The rule values of RULES.md, loaded by a data migration. Rows marked (verify)
come from secondary sources: officers correct them in the admin.
"""
from __future__ import annotations

from datetime import date

LAW_58 = "Law 58/2014/QH13, QĐ 595/QĐ-BHXH"
LAW_41 = "Law 41/2024/QH15 (from 1 Jul 2025)"

# (fund, party, variant, valid_from 'YYYY-MM', rate_ppm, source)
RATES = [
    ("SI_LT", "employer", "standard", "2016-01", 140_000, LAW_58),
    ("SI_LT", "employee", "standard", "2016-01", 80_000, LAW_58),
    ("SI_ST", "employer", "standard", "2016-01", 30_000, LAW_58),
    ("OADI", "employer", "standard", "2016-01", 5_000, "Decree 58/2020 (verify)"),
    ("OADI", "employer", "low_risk", "2016-01", 3_000, "Decree 58/2020 (verify)"),
    ("HI", "employer", "standard", "2016-01", 30_000, "Law on HI"),
    ("HI", "employee", "standard", "2016-01", 15_000, "Law on HI"),
    ("UI", "employer", "standard", "2016-01", 10_000, "Law on Employment"),
    ("UI", "employee", "standard", "2016-01", 10_000, "Law on Employment"),
]

# (region, valid_from, amount, source)
REGIONAL_MINIMUM = [
    (1, date(2022, 7, 1), 4_680_000, "Decree 38/2022 (verify)"),
    (2, date(2022, 7, 1), 4_160_000, "Decree 38/2022 (verify)"),
    (3, date(2022, 7, 1), 3_640_000, "Decree 38/2022 (verify)"),
    (4, date(2022, 7, 1), 3_250_000, "Decree 38/2022 (verify)"),
    (1, date(2024, 7, 1), 4_960_000, "Decree 74/2024"),
    (2, date(2024, 7, 1), 4_410_000, "Decree 74/2024"),
    (3, date(2024, 7, 1), 3_860_000, "Decree 74/2024"),
    (4, date(2024, 7, 1), 3_450_000, "Decree 74/2024"),
    (1, date(2026, 1, 1), 5_310_000, "Decree 293/2025"),
    (2, date(2026, 1, 1), 4_730_000, "Decree 293/2025"),
    (3, date(2026, 1, 1), 4_140_000, "Decree 293/2025"),
    (4, date(2026, 1, 1), 3_700_000, "Decree 293/2025"),
]

BASE_SALARY = [
    (date(2023, 7, 1), 1_800_000, "Decree 24/2023 (verify)"),
    (date(2024, 7, 1), 2_340_000, "Decree 73/2024"),
    (date(2026, 7, 1), 2_530_000, "reported rise (verify)"),
]

# (fund, valid_from, multiple, basis, source)
CAPS = [
    ("SI_LT", "2016-01", 20, "base_salary", LAW_58),
    ("SI_ST", "2016-01", 20, "base_salary", LAW_58),
    ("OADI", "2016-01", 20, "base_salary", LAW_58),
    ("HI", "2016-01", 20, "base_salary", "Law on HI"),
    ("UI", "2016-01", 20, "regional_minimum", "Law on Employment"),
]

# (cycle, valid_from, months_after, source)
DEADLINES = [
    (1, "2016-01", 0, "QĐ 595 Art. 7 (verify)"),
    (3, "2016-01", 1, "QĐ 595 Art. 7 (verify)"),
    (6, "2016-01", 1, "QĐ 595 Art. 7 (verify)"),
    (1, "2025-07", 1, "Law 41/2024 Art. 34.4"),
    (3, "2025-07", 1, "Law 41/2024 Art. 34.4"),
    (6, "2025-07", 1, "Law 41/2024 Art. 34.4"),
]

# (valid_from, kind, rate_ppm, min_days_late, source)
INTEREST = [
    (date(2016, 1, 1), "monthly", 9_666, 30, "Law 58/2014 Art. 122, QĐ 595 (0.9666%/month, verify per year)"),
    (date(2025, 7, 1), "daily", 300, 0, "Law 41/2024 Art. 40; Decree 274/2025"),
]
