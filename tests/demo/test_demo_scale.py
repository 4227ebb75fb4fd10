"""``sicollect demo --scale pair|bench|region|national``: many provinces, written with PostgreSQL's COPY."""
from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F, Sum

from sicollect.contributions.models import Payment
from sicollect.demo.generator import generate
from sicollect.registry.models import Office, Participation, Person, Unit
from sicollect.rules.book import load_rulebook

from .. import factories as f


@pytest.mark.django_db
def test_many_provinces_are_copied_with_their_own_codes_and_ids() -> None:
    """`pair` = 2 provinces of the small scale (seeds 1001 and 1002): 400 units, 10,000 persons. Each
    province is exactly what the generator makes for its seed (same counts, same wage and payment
    sums), with P01/P02 in front of its codes; the ids COPY gave are consistent (every participation
    points at its province's unit), and the sequences were moved past them (the ORM inserts after)."""
    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="COPY"):
            call_command("demo", scale="pair", verbosity=0)
        return
    call_command("demo", scale="pair", verbosity=0)
    book = load_rulebook()
    assert Unit.objects.count() == 400 and Person.objects.count() == 10_000
    assert set(Office.objects.filter(parent=None).values_list("code", flat=True)) == {"P01QN", "P02QN"}
    # every payment COPY wrote is of its unit's office (payment ids are unique per office)
    assert Payment.objects.count() > 0 and not Payment.objects.exclude(office_id=F("unit__office_id")).exists()
    for i in (1, 2):
        want = generate("small", 1000 + i, book)
        prefix = f"P{i:02d}"
        units = Unit.objects.filter(code__startswith=prefix)
        parts = Participation.objects.filter(unit__code__startswith=prefix)
        assert units.count() == len(want.units) == 200
        assert parts.count() == len(want.participations)
        assert parts.aggregate(s=Sum("wage"))["s"] == sum(p.wage for p in want.participations)
        assert (Payment.objects.filter(payment_id__startswith=prefix).aggregate(s=Sum("amount"))["s"]
                == sum(p.amount for p in want.payments))
        # a participation's person and unit are of the same province (ids given by the writer)
        assert not parts.exclude(person__si_code__startswith=prefix).exists()
    new = f.unit("ZZ0001")  # the ORM after COPY: the sequence is past the copied ids
    assert new.pk > Unit.objects.exclude(pk=new.pk).order_by("-pk").first().pk
