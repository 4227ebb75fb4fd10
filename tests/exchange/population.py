"""A synthetic population with known truth, for record linkage tests.

Vietnamese names (family, middle, given), birth dates, sex and commune; a
second source sees a sample of the same people with the noise real lists
have: diacritics dropped in half of them, a typo in one in ten, day and
month swapped now and then, one in seven in another commune.
"""
from __future__ import annotations

import random
import unicodedata
from dataclasses import replace
from datetime import date, timedelta

from sicollect.exchange.discovery import PersonRecord

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
          "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Xuân", "Thu", "Anh", "Hồng", "Kim", "Bảo"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương", "Khánh", "Lan",
         "Linh", "Long", "Mai", "Minh", "Nam", "Nga", "Ngọc", "Nhung", "Phong", "Phúc", "Phương", "Quân", "Quỳnh",
         "Sơn", "Tâm", "Thảo", "Thắng", "Thành", "Trang", "Trung", "Tú", "Tuấn", "Việt", "Vy", "Yến", "Hòa", "Đạt",
         "Hiền", "Khoa", "Lâm", "Lộc", "My", "Oanh", "Tài", "Tiến", "Toàn"]


def _strip(text: str) -> str:
    text = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


def population(n: int, seed: int = 7) -> list[PersonRecord]:
    rng = random.Random(seed)
    return [
        PersonRecord(
            f"P{i:05d}", f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
            date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 40)), rng.choice("MF"),
            f"{rng.randrange(22001, 22060):05d}",
        )
        for i in range(n)
    ]


def noisy_copy(p: PersonRecord, rng: random.Random, uid: str) -> PersonRecord:
    name, born, commune = p.full_name, p.birth_date, p.commune
    if rng.random() < 0.5:
        name = _strip(name)
    if rng.random() < 0.1:
        i = rng.randrange(len(name))
        name = name[:i] + rng.choice("aeiounht") + name[i + 1:]
    if born and rng.random() < 0.05 and born.day <= 12:
        born = date(born.year, born.day, born.month)
    if rng.random() < 0.15:
        commune = f"{rng.randrange(22001, 22060):05d}"
    return replace(p, uid=uid, full_name=name, birth_date=born, commune=commune)


def two_sources(n: int, seed: int = 7, in_left: float = 0.8, in_right: float = 0.7
                ) -> tuple[list[PersonRecord], list[PersonRecord], set[tuple[str, str]]]:
    """Two lists drawn from one population, and the true pairs (left uid, right uid)."""
    rng = random.Random(seed + 1)
    left, right, truth = [], [], set()
    for p in population(n, seed):
        a = rng.random() < in_left
        b = rng.random() < in_right
        if a:
            left.append(replace(p, uid=f"L{p.uid}"))
        if b:
            right.append(noisy_copy(p, rng, f"R{p.uid}"))
        if a and b:
            truth.add((f"L{p.uid}", f"R{p.uid}"))
    return left, right, truth
