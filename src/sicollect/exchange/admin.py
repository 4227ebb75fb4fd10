"""Read-only admin views of what came in through files. Decisions go through the actions
(``bank.do_assign_suspense``, ``taxsync.do_confirm_proposal`` …), which write the audit rows."""

from django.contrib import admin

from sicollect.core.admin import ReadOnly

from .models import (
    BankEntry,
    DeclarationLine,
    ImportBatch,
    PaymentReversal,
    SuspenseItem,
    TaxEnterprise,
    UnitStatusProposal,
)


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnly):
    list_display = ["id", "kind", "file_name", "unit", "declared_on", "actor", "created_at"]
    list_filter = ["kind"]
    search_fields = ["file_name", "sha256"]


@admin.register(DeclarationLine)
class DeclarationLineAdmin(ReadOnly):
    list_display = ["batch", "line", "action", "participation"]
    list_filter = ["action"]


@admin.register(BankEntry)
class BankEntryAdmin(ReadOnly):
    list_display = ["statement_id", "entry_id", "booked_on", "direction", "amount", "state", "unit", "matched_by",
                    "confidence", "message"]
    list_filter = ["state", "direction", "matched_by"]
    search_fields = ["statement_id", "entry_id", "message", "counterparty_name", "counterparty_account"]


@admin.register(SuspenseItem)
class SuspenseItemAdmin(ReadOnly):
    list_display = ["id", "entry", "status", "reason", "unit", "decided_by", "decided_at"]
    list_filter = ["status"]


@admin.register(PaymentReversal)
class PaymentReversalAdmin(ReadOnly):
    list_display = ["payment", "reversed_on", "amount", "reason", "entry"]


@admin.register(TaxEnterprise)
class TaxEnterpriseAdmin(ReadOnly):
    list_display = ["tax_code", "name", "status", "status_date", "commune_code", "industry", "batch"]
    list_filter = ["status"]
    search_fields = ["tax_code", "name"]


@admin.register(UnitStatusProposal)
class UnitStatusProposalAdmin(ReadOnly):
    list_display = ["unit", "from_status", "to_status", "tax_status", "status_date", "status", "decided_by"]
    list_filter = ["status", "to_status"]

