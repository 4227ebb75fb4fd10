"""Builders of sample files for the exchange tests: made in code, next to the numbers they explain."""
from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path


def write_csv(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]], title: str = "D02-LT") -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def camt053(stmt_id: str, account: str, entries: Sequence[dict[str, object]], msg_id: str = "MSG-1") -> str:
    """A Bank-to-Customer Statement (camt.053.001.02) with one ``Stmt`` and the given entries.

    Each entry: ``ref`` (NtryRef), ``amount``, ``mark`` (CRDT/DBIT), ``booked`` (YYYY-MM-DD) and optional
    ``value``, ``reversal``, ``e2e`` (EndToEndId), ``message`` (Ustrd), ``name`` and ``acct`` (the
    payer, or for a debit the payee), ``ccy`` (default VND).
    """
    from xml.sax.saxutils import escape

    def ntry(e: dict[str, object]) -> str:
        side = "Dbtr" if e.get("mark", "CRDT") == "CRDT" else "Cdtr"
        party = ""
        if e.get("name") or e.get("acct"):
            party = "<RltdPties>"
            if e.get("name"):
                party += f"<{side}><Nm>{escape(str(e['name']))}</Nm></{side}>"
            if e.get("acct"):
                party += f"<{side}Acct><Id><Othr><Id>{e['acct']}</Id></Othr></Id></{side}Acct>"
            party += "</RltdPties>"
        value = f"<ValDt><Dt>{e['value']}</Dt></ValDt>" if e.get("value") else ""
        reversal = "<RvslInd>true</RvslInd>" if e.get("reversal") else ""
        return f"""
      <Ntry>
        <NtryRef>{e['ref']}</NtryRef>
        <Amt Ccy="{e.get('ccy', 'VND')}">{e['amount']}</Amt>
        <CdtDbtInd>{e.get('mark', 'CRDT')}</CdtDbtInd>
        {reversal}
        <Sts>BOOK</Sts>
        <BookgDt><Dt>{e['booked']}</Dt></BookgDt>
        {value}
        <AcctSvcrRef>SVC-{e['ref']}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs><EndToEndId>{e.get('e2e', 'NOTPROVIDED')}</EndToEndId></Refs>
            <AmtDtls><TxAmt><Amt Ccy="{e.get('ccy', 'VND')}">{e['amount']}</Amt></TxAmt></AmtDtls>
            {party}
            <RmtInf><Ustrd>{escape(str(e.get('message', '')))}</Ustrd></RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>"""

    body = "".join(ntry(e) for e in entries)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{CAMT_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>{msg_id}</MsgId>
      <CreDtTm>2025-08-31T23:00:00</CreDtTm>
    </GrpHdr>
    <Stmt>
      <Id>{stmt_id}</Id>
      <ElctrncSeqNb>1</ElctrncSeqNb>
      <CreDtTm>2025-08-31T23:00:00</CreDtTm>
      <Acct>
        <Id><Othr><Id>{account}</Id></Othr></Id>
        <Ccy>VND</Ccy>
        <Svcr><FinInstnId><BIC>BFTVVNVX</BIC></FinInstnId></Svcr>
      </Acct>
      <Bal>
        <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="VND">0</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-08-01</Dt></Dt>
      </Bal>{body}
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""


def mt940(reference: str, account: str, number: str, entries: Sequence[dict[str, object]]) -> str:
    """A SWIFT MT940 customer statement: :20:, :25:, :28C:, :60F:, then :61:/:86: per entry, :62F:.

    Each entry: ``date`` (YYMMDD), ``mark`` (C, D, RC, RD), ``amount`` (whole đồng), ``ref``
    (the customer reference, or NONREF), ``bank_ref`` and ``message`` (the :86: text).
    """
    lines = [f":20:{reference}", f":25:{account}", f":28C:{number}/1", ":60F:C250801VND0,"]
    balance = 0
    for e in entries:
        amount = int(e["amount"])  # type: ignore[call-overload]
        balance += amount if e["mark"] in ("C", "RD") else -amount
        lines.append(f":61:{e['date']}{str(e['date'])[2:]}{e['mark']}{amount},NTRF{e.get('ref', 'NONREF')}"
                     f"//{e['bank_ref']}")
        lines.append(f":86:{e.get('message', '')}")
    sign = "C" if balance >= 0 else "D"
    lines.append(f":62F:{sign}250831VND{abs(balance)},")
    return "\n".join(lines) + "\n"


def named_unit(code: str, name: str, **kw: object):  # noqa: ANN201
    """``factories.unit`` with a real name (the factory names every unit ``Công ty CODE``)."""
    from .. import factories as f

    u = f.unit(code, **kw)
    u.name = name
    u.save(update_fields=["name"])
    return u
