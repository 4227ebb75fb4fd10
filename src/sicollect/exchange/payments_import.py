"""``payments.csv`` of ``sicollect import DIR``: bank payments by unit.

Payments are money: one already in the database is never changed by an import; the same id
with different data is an error. Units are known from the database or from ``units.csv`` of the
same import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sicollect.contributions.models import Channel, Payment
from sicollect.core import domain
from sicollect.registry.models import Unit

from .importing import Changes, FileCounts, FileKind, ImportContext, fetch, max_length
from .rows import Table

COLUMNS: tuple[str, ...] = ("payment_id", "unit_code", "paid_on", "amount", "reference")


@dataclass(frozen=True, slots=True)
class PaymentRow:
    payment_id: str
    unit: str
    paid_on: date
    amount: int
    reference: str


class PaymentsFile:
    """Check ``payments.csv`` against the database and the import's units; write the new ones.

    Payment ids are unique per office (the unit's office), not province-wide: the same id in two
    offices is two payments, and the check never looks at another office's payments."""

    def __init__(self) -> None:
        self.payments: Changes[PaymentRow] = Changes()
        self.source = ""

    def check(self, table: Table, context: ImportContext) -> None:
        self.source = str(table.path.resolve())[-max_length(Payment, "source") :]
        existing = {
            (office, payment_id): rest
            for office, payment_id, *rest in fetch(
                Payment.objects.all(),
                "payment_id",
                table.keys("payment_id"),
                ("office__code", "payment_id", "unit__code", "paid_on", "amount", "reference"),
            )
        }
        first: dict[tuple[str | None, str], int] = {}
        for c in context.rows(table):
            payment_id = c.text("payment_id", max_length(Payment, "payment_id"))
            unit = c.text("unit_code", max_length(Unit, "code"))
            office = context.unit_office(unit) if unit else None
            if payment_id:
                c.unique("payment_id", (office, payment_id), first, repr(payment_id))
            c.known("unit_code", unit, context.unit_codes, "unit")
            paid_on = c.within("paid_on", c.date("paid_on"), domain.money_date)
            amount = c.integer("amount", minimum=1, maximum=domain.MAX_AMOUNT)
            reference = c.text("reference", max_length(Payment, "reference"), required=False)
            if not c.ok:
                continue
            assert paid_on and amount
            row = PaymentRow(payment_id, unit, paid_on, amount, reference)
            old = existing.get((office, payment_id))
            if old is None:
                self.payments.create.append(row)
                continue
            for name, was, now in zip(  # noqa: B905 (three fixed-length tuples)
                ("unit_code", "paid_on", "amount", "reference"),
                old,
                (unit, paid_on, amount, reference),
            ):
                if was != now:
                    c.error(
                        name,
                        f"payment {payment_id!r} was imported with {name} {str(was)!r}, "
                        f"this file has {str(now)!r}; an import never changes a payment",
                    )
            if c.ok:
                self.payments.unchanged += 1

    def write(self, context: ImportContext) -> FileCounts:
        context.affected_units |= {r.unit for r in self.payments.create}
        if self.payments.create:
            units = {
                code: (pk, office_id)
                for code, pk, office_id in fetch(
                    Unit.objects.all(),
                    "code",
                    {r.unit for r in self.payments.create},
                    ("code", "pk", "office_id"),
                )
            }

            def build(r: PaymentRow) -> Payment:
                unit_id, office_id = units[r.unit]
                return Payment(
                    payment_id=r.payment_id,
                    unit_id=unit_id,
                    office_id=office_id,  # the unit's office now, units.csv of this import written
                    paid_on=r.paid_on,
                    amount=r.amount,
                    reference=r.reference,
                    channel=Channel.BANK,
                    source=self.source,
                )

            context.create(Payment, self.payments.create, build)
        return self.payments.counts()


PAYMENTS = FileKind("payments.csv", COLUMNS, PaymentsFile)
