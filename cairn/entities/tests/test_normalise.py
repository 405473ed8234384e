from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.entities.normalise import (
    NormaliseError,
    SelectorKind,
    name_key,
    name_tokens,
    normalise,
    normalise_address,
    normalise_bank_account,
    normalise_document,
    normalise_email,
    normalise_iban,
    normalise_person_name,
    normalise_phone,
    normalise_postcode,
    normalise_url,
    normalise_vrm,
)


def test_selector_kinds_have_labels() -> None:
    assert SelectorKind.BANK_ACCOUNT == "bank_account"
    assert SelectorKind.PERSON_NAME.label == "Person's name"
    assert len(SelectorKind.values) == 10


@pytest.mark.parametrize("raw", ["07700 900123", "+44 7700 900123", "0044 7700-900-123", "(07700) 900123"])
def test_phone_uk_formats(raw: str) -> None:
    assert normalise_phone(raw) == "+447700900123"


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("07911 123456", "GB", "+447911123456"),
        ("020 7946 0018", "GB", "+442079460018"),
        ("+33 6 12 34 56 78", "GB", "+33612345678"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("+1 (202) 555-0123", "GB", "+12025550123"),
    ],
)
def test_phone_other_numbers_and_regions(raw: str, region: str, expected: str) -> None:
    assert normalise(SelectorKind.PHONE, raw, default_region=region) == expected


@pytest.mark.parametrize("raw", ["+44 7700", "07700", "999", "hello", "0800 000000000000", "+999 123456789"])
def test_phone_rejects(raw: str) -> None:
    with pytest.raises(NormaliseError, match="is not a valid phone number"):
        normalise_phone(raw)


def test_phone_error_names_the_value() -> None:
    with pytest.raises(NormaliseError) as exc:
        normalise(SelectorKind.PHONE, "+44 7700")
    assert str(exc.value) == "'+44 7700' is not a valid phone number"


@given(st.text(alphabet="0123456789 +-()", max_size=20))
def test_phone_idempotent(raw: str) -> None:
    try:
        once = normalise_phone(raw)
    except NormaliseError:
        return
    assert normalise_phone(once) == once


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Lily.Rose88@Gmail.com ", "lily.rose88@gmail.com"),
        ("mailto:Bob@Example.co.uk", "bob@example.co.uk"),
        ("<a.b+tag@mail.example>", "a.b+tag@mail.example"),
    ],
)
def test_email(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize("raw", ["bob@", "@example.com", "bob@example", "bob example.com", "a@b@c.com"])
def test_email_rejects(raw: str) -> None:
    with pytest.raises(NormaliseError, match="is not a valid email address"):
        normalise(SelectorKind.EMAIL, raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ab12 cde", "AB12CDE"),  # current
        ("A123 BCD", "A123BCD"),  # prefix
        ("ABC 123D", "ABC123D"),  # suffix
        ("ABC 123", "ABC123"),  # dateless
        ("1 ABC", "1ABC"),  # dateless, reversed
        ("ABZ 1234", "ABZ1234"),  # Northern Ireland
        (" yx65-abc ", "YX65ABC"),
    ],
)
def test_vrm(raw: str, expected: str) -> None:
    assert normalise_vrm(raw) == expected


@pytest.mark.parametrize("raw", ["HELLO", "12345", "AB12CDEF", "ABCD 1234", "A", "AB 12 CD 34"])
def test_vrm_rejects(raw: str) -> None:
    with pytest.raises(NormaliseError, match="is not a UK vehicle registration"):
        normalise(SelectorKind.VRM, raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("al1 2bc", "AL1 2BC"),
        ("M1 1AE", "M1 1AE"),
        ("b33 8th", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("GIR 0AA", "GIR 0AA"),
    ],
)
def test_postcode(raw: str, expected: str) -> None:
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize("raw", ["QQ1 1AA", "SW1A", "12345", "SW1A 1A", "AB12 CDE", "V1 1AA"])
def test_postcode_rejects(raw: str) -> None:
    with pytest.raises(NormaliseError, match="is not a UK postcode"):
        normalise(SelectorKind.POSTCODE, raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("14 High Street, Aldermoor AL1 2BC", "14 HIGH STREET ALDERMOOR AL1 2BC"),
        ("14 high st., aldermoor, al12bc", "14 HIGH STREET ALDERMOOR AL1 2BC"),
        ("Flat 3, 12 St John's Rd, St Albans AL1 2BC, UK", "FLAT 3 12 SAINT JOHNS ROAD SAINT ALBANS AL1 2BC"),
        ("Apt 3, 12 Saint Johns Road, Saint Albans, AL1  2BC", "FLAT 3 12 SAINT JOHNS ROAD SAINT ALBANS AL1 2BC"),
        ("7 Orchard Ave\nMillbrook", "7 ORCHARD AVENUE MILLBROOK"),
        ("22 Rue de la Paix, Paris", "22 RUE DE LA PAIX PARIS"),
        ("5 Ławki Gdns", "5 LAWKI GARDENS"),
    ],
)
def test_address(raw: str, expected: str) -> None:
    assert normalise_address(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "123", "!!!"])
def test_address_rejects(raw: str) -> None:
    with pytest.raises(NormaliseError):
        normalise(SelectorKind.ADDRESS, raw)


@pytest.mark.parametrize("raw", ["GB82 WEST 1234 5698 7654 32", "gb82west12345698765432", " GB82WEST12345698765432 "])
def test_iban(raw: str) -> None:
    assert normalise_iban(raw) == "GB82WEST12345698765432"


def test_iban_other_country() -> None:
    assert normalise(SelectorKind.IBAN, "DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"


@pytest.mark.parametrize("raw", ["GB82 WEST 1234 5698 7654 33", "GB82 WEST", "XX00 1234", "not an iban"])
def test_iban_rejects(raw: str) -> None:
    with pytest.raises(NormaliseError, match="is not a valid IBAN"):
        normalise(SelectorKind.IBAN, raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20-00-00 12345678", "200000-12345678"),
        ("200000 12345678", "200000-12345678"),
        ("sort code 200000 account 12345678", "200000-12345678"),
        ("Sort code: 20 00 00, account no. 12345678.", "200000-12345678"),
        ("sort code 20-00-00 account 1234567", "200000-01234567"),  # seven digits: leading zero
        ("account 12345678 sort code 20-00-00", "200000-12345678"),
        ("200000-12345678", "200000-12345678"),  # its own output
    ],
)
def test_bank_account(raw: str, expected: str) -> None:
    assert normalise_bank_account(raw) == expected


@pytest.mark.parametrize(
    "raw", ["20-00-00", "12345678", "20-00-00 123456", "20-00-0 12345678", "20-00-00 123456789", "sort code x"]
)
def test_bank_account_rejects(raw: str) -> None:
    with pytest.raises(NormaliseError, match="is not a UK sort code and account number"):
        normalise(SelectorKind.BANK_ACCOUNT, raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("123456789", "123456789"), ("ab 123-456 c", "AB123456C"), ("GBR:123456789", "GBR123456789")],
)
def test_document(raw: str, expected: str) -> None:
    assert normalise_document(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "ABCDEFGH", "1" * 21])
def test_document_rejects(raw: str) -> None:
    with pytest.raises(NormaliseError, match="is not a document number"):
        normalise(SelectorKind.DOCUMENT, raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "https://www.vivastreet.co.uk/escort/ad/123456?utm_source=x&utm_medium=y",
            "https://vivastreet.co.uk/escort/ad/123456",
        ),
        ("vivastreet.co.uk/escort/ad/123456/", "https://vivastreet.co.uk/escort/ad/123456"),
        ("HTTP://WWW.Example.COM:80/Path/Page/?id=5&fbclid=abc#top", "https://example.com/Path/Page?id=5"),
        ("https://example.com/?gclid=1", "https://example.com"),
        ("https://user:pw@example.com:8080/a?b=1&c=2", "https://example.com:8080/a?b=1&c=2"),
        ("t.me/someprofile", "https://t.me/someprofile"),
    ],
)
def test_url(raw: str, expected: str) -> None:
    assert normalise_url(raw) == expected
    assert normalise_url(expected) == expected


@pytest.mark.parametrize(
    "raw", ["not a url", "https://", "javascript:alert(1)", "ftp://example.com/x", "http://localhost/"]
)
def test_url_rejects(raw: str) -> None:
    with pytest.raises(NormaliseError, match="web address"):
        normalise(SelectorKind.URL, raw)


@pytest.mark.parametrize("raw", ["Nguyễn Văn An", "An, NGUYEN Van", "NGUYEN Van An", "nguyen-van an"])
def test_name_key_ignores_order_case_and_diacritics(raw: str) -> None:
    assert name_key(raw) == "an nguyen van"
    assert normalise(SelectorKind.PERSON_NAME, raw) == "an nguyen van"


def test_name_tokens() -> None:
    assert name_tokens("Nguyễn Văn An") == ["nguyen", "van", "an"]
    assert name_tokens("Seán O'Brien") == ["sean", "obrien"]
    assert name_tokens("Иван Петров") == ["ivan", "petrov"]
    assert name_tokens("") == []


def test_person_name_rejects() -> None:
    with pytest.raises(NormaliseError, match="is not a name"):
        normalise_person_name("!!! ???")


def test_dispatch_rejects_empty_and_unknown() -> None:
    with pytest.raises(NormaliseError, match="empty"):
        normalise(SelectorKind.EMAIL, "  ")
    with pytest.raises(NormaliseError, match="Unknown selector kind 'shoe_size'"):
        normalise("shoe_size", "10")


def test_errors_are_value_errors_and_short() -> None:
    with pytest.raises(ValueError) as exc:
        normalise(SelectorKind.VRM, "x" * 500)
    assert len(str(exc.value)) < 120
