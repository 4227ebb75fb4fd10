"""Migration contributions 0008 (issue 17): payment ids unique per office, not province-wide.

Run on real rows: back to 0007 (the province-wide unique), three payments of units of two offices,
then 0008: each payment gets its unit's office (one UPDATE), the ledger is untouched, and the unique key is
(office, payment_id)."""
from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("contributions", "0007_closedmonth")]
AFTER = [("contributions", "0008_payment_office")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the rules seeded by migrations stay
def test_0008_gives_each_payment_its_units_office_and_makes_ids_unique_per_office() -> None:
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        Office, Unit, Payment = (old.get_model(*m.split(".")) for m in
                                 ("registry.Office", "registry.Unit", "contributions.Payment"))
        LedgerEntry = old.get_model("contributions", "LedgerEntry")
        hl, cp = Office.objects.create(code="HL", name="Hạ Long"), Office.objects.create(code="CP", name="Cẩm Phả")
        units = {code: Unit.objects.create(code=code, name=code, office=office, region=1,
                                           registered_on=date(2020, 1, 1))
                 for code, office in (("HL001", hl), ("HL002", hl), ("CP001", cp))}
        for pid, code, amount in (("Q-1", "HL001", 100_000), ("Q-2", "HL002", 200_000), ("C-1", "CP001", 300_000)):
            Payment.objects.create(payment_id=pid, unit=units[code], paid_on=date(2025, 8, 1), amount=amount)
        paid = Payment.objects.get(payment_id="Q-1")
        LedgerEntry.objects.create(unit=units["HL001"], period=date(2025, 8, 1), posted_on=date(2025, 8, 1),
                                   kind="payment", payment=paid, amount=-100_000)
        ledger = list(LedgerEntry.objects.values_list("id", "unit_id", "payment_id", "amount"))

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        Payment = new.get_model("contributions", "Payment")
        assert sorted(Payment.objects.values_list("payment_id", "unit__code", "office__code", "amount")) == [
            ("C-1", "CP001", "CP", 300_000), ("Q-1", "HL001", "HL", 100_000), ("Q-2", "HL002", "HL", 200_000)]
        assert list(new.get_model("contributions", "LedgerEntry").objects.values_list(
            "id", "unit_id", "payment_id", "amount")) == ledger
        # CP may now use HL's id; HL may not use it twice
        Payment.objects.create(payment_id="Q-1", unit_id=units["CP001"].pk, office_id=cp.pk,
                               paid_on=date(2025, 8, 2), amount=5)
        with pytest.raises(IntegrityError), transaction.atomic():
            Payment.objects.create(payment_id="Q-1", unit_id=units["HL002"].pk, office_id=hl.pk,
                                   paid_on=date(2025, 8, 2), amount=5)
        assert Payment.objects.filter(payment_id="Q-1").count() == 2
        with pytest.raises(IntegrityError), transaction.atomic():  # the office is required
            Payment.objects.create(payment_id="N-1", unit_id=units["CP001"].pk, office_id=None,
                                   paid_on=date(2025, 8, 2), amount=5)
    finally:
        MigrationExecutor(connection).migrate(leaves)


@pytest.mark.django_db
def test_a_payment_saved_without_its_office_gets_its_units() -> None:
    """A writer that names only the unit (``unit.payments.create``) still records the unit's office."""
    from sicollect.contributions.models import Payment

    from .. import factories as f

    hl = f.unit("HL001", office=f.office("HL"))
    pay = hl.payments.create(payment_id="Q-1", paid_on=date(2025, 8, 1), amount=100_000)
    assert Payment.objects.values_list("office__code", flat=True).get(pk=pay.pk) == "HL"
