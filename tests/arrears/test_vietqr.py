"""The VietQR (EMVCo) payload: TLV fields and the CRC-16/CCITT-FALSE checksum, tested by decoding."""
from __future__ import annotations

import pytest

from sicollect.arrears import vietqr


def test_crc_is_ccitt_false_by_its_catalogue_check_value() -> None:
    assert vietqr.crc16_ccitt_false(b"123456789") == 0x29B1


def test_the_napas_specification_example_checks_and_decodes() -> None:
    # The example of the NAPAS VietQR specification (transfer to card 9704031101234567 at BIN 970403).
    text = ("00020101021238600010A00000072701300006970403011697040311012345670208QRIBFTTC53037045406180000"
            "5802VN62340107NPS68690819thanh toan don hang6304A203")
    assert vietqr.is_valid(text)
    assert vietqr.decode(text) == {
        "bin": "970403", "account": "9704031101234567", "service": "QRIBFTTC", "currency": "704",
        "amount": 180_000, "country": "VN", "message": "thanh toan don hang", "bill": "NPS6869", "dynamic": True,
    }


def test_our_payload_equals_a_published_bank_payload_field_for_field() -> None:
    published = ("00020101021238540010A00000072701240006970436011010234567890208QRIBFTTA530370454071943000"
                 "5802VN62120808TT0000696304A8E5")
    assert vietqr.payload("970436", "1023456789", 1_943_000, "TT000069") == published


def test_a_notice_payload_round_trips_and_a_changed_character_fails_the_checksum() -> None:
    text = vietqr.payload("970415", "113366668888", 1_812_420, "BHXH TA0001 T10/2025")
    d = vietqr.decode(text)
    assert (d["bin"], d["account"], d["amount"], d["message"], d["currency"], d["country"]) == (
        "970415", "113366668888", 1_812_420, "BHXH TA0001 T10/2025", "704", "VN")
    broken = text.replace("1812420", "1812429")
    assert not vietqr.is_valid(broken)
    with pytest.raises(vietqr.VietQRError):
        vietqr.decode(broken)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(vietqr.VietQRError):
        vietqr.payload("97041", "1", 1, "x")
    with pytest.raises(vietqr.VietQRError):
        vietqr.payload("970415", "1", 1, "Đóng BHXH")  # not plain ASCII
    with pytest.raises(vietqr.VietQRError):
        vietqr.payload("970415", "1", 1, "x" * 26)
    assert vietqr.decode(vietqr.payload("970415", "123", None))["dynamic"] is False


@pytest.mark.parametrize("account", ["ĐB0011001234567", "００１１００１", "0011001234567é", "٠١٢٣٤٥"])
def test_a_non_ascii_account_is_refused_with_vietqr_error(account: str) -> None:
    with pytest.raises(vietqr.VietQRError, match="account must be ASCII letters and digits"):
        vietqr.payload("970436", account, 450_000, "BHXH TQN00012")
    with pytest.raises(vietqr.VietQRError, match="bank BIN must be 6 digits"):
        vietqr.payload("٩٧٠٤٣٦", "0011001234567")
    assert not vietqr.is_valid("00020101021138" + account + "6304ABCD")
