"""The five funds and the legal order in which a payment is applied."""
from __future__ import annotations

from enum import StrEnum


class Fund(StrEnum):
    SI_LT = "SI_LT"  # hưu trí, tử tuất (HT-TT): SI long-term
    SI_ST = "SI_ST"  # ốm đau, thai sản (OĐ-TS): SI short-term
    OADI = "OADI"  # tai nạn lao động, bệnh nghề nghiệp (TNLĐ-BNN)
    HI = "HI"  # bảo hiểm y tế (BHYT)
    UI = "UI"  # bảo hiểm thất nghiệp (BHTN)


FUND_CHOICES = [
    (Fund.SI_LT.value, "BHXH HT-TT"),
    (Fund.SI_ST.value, "BHXH OĐ-TS"),
    (Fund.OADI.value, "TNLĐ-BNN"),
    (Fund.HI.value, "BHYT"),
    (Fund.UI.value, "BHTN"),
]

#: Decree 233/2025 Art. 7.4: HI → UI → SI by component OĐ-TS → OADI → HT-TT.
LEGAL_ORDER: tuple[Fund, ...] = (Fund.HI, Fund.UI, Fund.SI_ST, Fund.OADI, Fund.SI_LT)

#: The statement's columns (C12-TS): SI is long- plus short-term.
STATEMENT_COLUMNS: dict[str, tuple[Fund, ...]] = {
    "SI": (Fund.SI_LT, Fund.SI_ST),
    "HI": (Fund.HI,),
    "UI": (Fund.UI,),
    "OADI": (Fund.OADI,),
}

#: Which participation flag (SI, HI, UI, OADI) makes a person pay into a fund.
FLAG_OF_FUND: dict[Fund, str] = {
    Fund.SI_LT: "si",
    Fund.SI_ST: "si",
    Fund.OADI: "oadi",
    Fund.HI: "hi",
    Fund.UI: "ui",
}
