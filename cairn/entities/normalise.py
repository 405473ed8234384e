"""Canonical forms of selectors, so the same phone, account or address written two ways is one key.

Each ``normalise_*`` function returns the canonical string or raises ``NormaliseError`` with a message
an officer can act on. Validation leans on maintained libraries (phonenumbers, schwifty, Django's email
validator) rather than hand-written checksums; the UK formats no library covers (vehicle registrations,
postcodes, sort codes) are patterns kept in this file.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import phonenumbers
from anyascii import anyascii
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from schwifty import IBAN

# The library-backed normalisers (phonenumbers, Django's email validator, schwifty) are the slow ones and
# pure functions of their input; the same selector turns up again and again across reports (that is
# what correlates them), so each keeps its most recent answers. Errors are raised again, not cached.
_CACHE_SIZE = 16384


class NormaliseError(ValueError):
    """The raw value is not a valid selector of the kind asked for."""


class SelectorKind(models.TextChoices):
    PHONE = "phone", "Phone number"
    EMAIL = "email", "Email address"
    VRM = "vrm", "Vehicle registration"
    POSTCODE = "postcode", "Postcode"
    ADDRESS = "address", "Address"
    IBAN = "iban", "IBAN"
    BANK_ACCOUNT = "bank_account", "Sort code and account number"
    DOCUMENT = "document", "Passport or identity document number"
    URL = "url", "Web address (advert or profile)"
    PERSON_NAME = "person_name", "Person's name"


def _show(raw: str, limit: int = 60) -> str:
    # Error messages quote the input; a pasted page would make them unreadable.
    raw = " ".join(raw.split())
    return raw if len(raw) <= limit else raw[: limit - 1] + "…"


# --- phone -----------------------------------------------------------------------------------------

# Ofcom reserves these ranges for drama and training material. libphonenumber marks some of them
# invalid, but demo data and exercises use them, and no real subscriber can hold one, so accepting
# them costs nothing. National significant number prefixes, each followed by 3 more digits.
FICTIONAL_GB_PREFIXES = ("7700900", "1632960", "1154960")


def is_fictional_gb(number: phonenumbers.PhoneNumber) -> bool:
    nsn = phonenumbers.national_significant_number(number)
    return number.country_code == 44 and len(nsn) == 10 and nsn.startswith(FICTIONAL_GB_PREFIXES)


def is_acceptable_phone(number: phonenumbers.PhoneNumber) -> bool:
    return phonenumbers.is_valid_number(number) or is_fictional_gb(number)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def normalise_phone(raw: str, *, default_region: str = "GB") -> str:
    """Any country's number in E.164; numbers without a country code are read as ``default_region``."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise NormaliseError(f"'{_show(raw)}' is not a valid phone number") from exc
    if not is_acceptable_phone(number):
        raise NormaliseError(f"'{_show(raw)}' is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- email -----------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=_CACHE_SIZE)
def normalise_email(raw: str) -> str:
    """Lower-cased and stripped. Provider-specific aliases (dots, +tags) are kept: they may matter."""
    value = raw.strip().strip("<>").strip()
    if value[:7].lower() == "mailto:":
        value = value[7:]
    value = value.lower()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise NormaliseError(f"'{_show(raw)}' is not a valid email address") from exc
    return value


# --- vehicle registration --------------------------------------------------------------------------

# Compact (spaceless, upper-case) UK and Northern Ireland formats.
VRM_PATTERNS = {
    "current": re.compile(r"[A-Z]{2}[0-9]{2}[A-Z]{3}"),  # AB12CDE, since 2001
    "prefix": re.compile(r"[A-Z][0-9]{1,3}[A-Z]{3}"),  # A123BCD, 1983-2001
    "suffix": re.compile(r"[A-Z]{3}[0-9]{1,3}[A-Z]"),  # ABC123D, 1963-1983
    # Dateless marks, and Northern Ireland's letters-then-up-to-four-digits (ABZ1234).
    "dateless": re.compile(r"[A-Z]{1,3}[0-9]{1,4}|[0-9]{1,4}[A-Z]{1,3}"),
}


def normalise_vrm(raw: str) -> str:
    """A UK vehicle registration mark, upper-case without spaces: 'ab12 cde' -> 'AB12CDE'."""
    value = re.sub(r"[\s\-.]+", "", raw).upper()
    if not any(p.fullmatch(value) for p in VRM_PATTERNS.values()):
        raise NormaliseError(f"'{_show(raw)}' is not a UK vehicle registration")
    return value


# --- postcode --------------------------------------------------------------------------------------

# The outward code follows Royal Mail's letter rules; the inward code's letters are not restricted,
# because made-up but well-shaped postcodes (AL1 2BC) are common in training and demo material.
POSTCODE_OUTWARD = (
    r"(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"  # A9, A99, AA9, AA99
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"  # A9A, AA9A
)
POSTCODE_INWARD = r"[0-9][A-Z]{2}"
POSTCODE_COMPACT = re.compile(rf"(?:{POSTCODE_OUTWARD}{POSTCODE_INWARD}|GIR0AA)")


def normalise_postcode(raw: str) -> str:
    """A UK postcode, upper-case with one space before the inward code: 'sw1a1aa' -> 'SW1A 1AA'."""
    value = re.sub(r"\s+", "", raw).upper()
    if not POSTCODE_COMPACT.fullmatch(value):
        raise NormaliseError(f"'{_show(raw)}' is not a UK postcode")
    return f"{value[:-3]} {value[-3:]}"


# --- address ---------------------------------------------------------------------------------------

ADDRESS_ABBREVIATIONS = {
    "RD": "ROAD",
    "AVE": "AVENUE",
    "AV": "AVENUE",
    "LN": "LANE",
    "CL": "CLOSE",
    "DR": "DRIVE",
    "CT": "COURT",
    "CRT": "COURT",
    "CRES": "CRESCENT",
    "CR": "CRESCENT",
    "GDNS": "GARDENS",
    "TER": "TERRACE",
    "TERR": "TERRACE",
    "TCE": "TERRACE",
    "PL": "PLACE",
    "SQ": "SQUARE",
    "PK": "PARK",
    "GRN": "GREEN",
    "GR": "GROVE",
    "GRV": "GROVE",
    "HSE": "HOUSE",
    "BLDG": "BUILDING",
    "PDE": "PARADE",
    "WY": "WAY",
    "FLT": "FLAT",
    "APT": "FLAT",  # a flat and an apartment are the same door
    "APARTMENT": "FLAT",
    "RDG": "RIDGE",
    "STN": "STATION",
    "IND": "INDUSTRIAL",
    "EST": "ESTATE",
}
_TRAILING_COUNTRY = ("UNITED KINGDOM", "UK", "GB", "GREAT BRITAIN", "ENGLAND")


def normalise_address(raw: str) -> str:
    """Free-text address for exact matching: '14 High St., Aldermoor al12bc' -> '14 HIGH STREET ALDERMOOR AL1 2BC'.

    'ST' is SAINT at the start of a part (after a comma or a house number) and STREET elsewhere.
    """
    text = anyascii(raw).upper()
    text = re.sub(r"['`]", "", text)  # JOHN'S -> JOHNS, not JOHN S
    words: list[str] = []
    for part in re.split(r"[,;\n]", text):
        tokens = re.findall(r"[A-Z0-9]+", part)
        for i, token in enumerate(tokens):
            if token == "ST":
                starts_name = i == 0 or tokens[i - 1].isdigit()
                followed = i + 1 < len(tokens) and tokens[i + 1].isalpha()
                token = "SAINT" if starts_name and followed else "STREET"
            words.append(ADDRESS_ABBREVIATIONS.get(token, token))
    joined = " ".join(words)
    for country in _TRAILING_COUNTRY:
        if joined.endswith(" " + country):
            joined = joined[: -len(country) - 1]
            break
    words = joined.split()
    # A postcode at the end may be written compact or with odd spacing.
    for take in (1, 2):
        if len(words) > take:
            tail = "".join(words[-take:])
            if POSTCODE_COMPACT.fullmatch(tail):
                words = [*words[:-take], tail[:-3], tail[-3:]]
                break
    if not words or not any(ch.isalpha() for ch in "".join(words)):
        raise NormaliseError(f"'{_show(raw)}' is not an address")
    return " ".join(words)


# --- IBAN ------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=_CACHE_SIZE)
def normalise_iban(raw: str) -> str:
    """Checked by schwifty (country format and check digits), returned compact and upper-case."""
    try:
        return IBAN(raw.strip()).compact
    except ValueError as exc:  # schwifty's errors are ValueErrors and say what is wrong
        raise NormaliseError(f"'{_show(raw)}' is not a valid IBAN: {str(exc).lower() or 'bad format'}") from exc


# --- UK bank account -------------------------------------------------------------------------------

_SORT_CODE = r"(\d{2})[\s.\-]?(\d{2})[\s.\-]?(\d{2})"
_ACCOUNT = r"(\d{7,8})"
_ACCOUNT_WORD = r"(?:account|acct|acc|a/c)(?:\s*(?:no\.?|number|num))?"
_BANK_FORMS = [
    # sort code first, labels optional: "20-00-00 12345678", "sort code 200000 account 12345678"
    re.compile(
        rf"^(?:sort\s*code)?\W*{_SORT_CODE}(?!\d)[\s,/:\-]*(?:(?:and\s+)?{_ACCOUNT_WORD})?\W*{_ACCOUNT}[.\s]*$", re.I
    ),
    # account first, then the sort code, both labelled
    re.compile(rf"^{_ACCOUNT_WORD}\W*{_ACCOUNT}[\s,]*(?:and\s+)?sort\s*code\W*{_SORT_CODE}[.\s]*$", re.I),
]


def normalise_bank_account(raw: str) -> str:
    """A UK sort code and account number: '20-00-00 12345678' -> '200000-12345678'.

    Seven-digit accounts get a leading zero, as UK banks do. The modulus check is not run: no
    library we carry holds Pay.UK's weight tables, and a wrong-but-shaped number is still worth keeping.
    """
    value = raw.strip()
    for index, form in enumerate(_BANK_FORMS):
        m = form.match(value)
        if m is None:
            continue
        if index == 0:
            sort_code, account = "".join(m.group(1, 2, 3)), m.group(4)
        else:
            sort_code, account = "".join(m.group(2, 3, 4)), m.group(1)
        return f"{sort_code}-{account.zfill(8)}"
    raise NormaliseError(f"'{_show(raw)}' is not a UK sort code and account number (expected like '20-00-00 12345678')")


# --- identity documents ----------------------------------------------------------------------------


def normalise_document(raw: str) -> str:
    """A passport or identity document number: upper-case letters and digits only, 6-20 of them."""
    value = re.sub(r"[^0-9A-Z]", "", anyascii(raw).upper())
    if not 6 <= len(value) <= 20:
        raise NormaliseError(f"'{_show(raw)}' is not a document number: expected 6 to 20 letters and digits")
    if not any(ch.isdigit() for ch in value):
        raise NormaliseError(f"'{_show(raw)}' is not a document number: it has no digits")
    return value


# --- URL -------------------------------------------------------------------------------------------

TRACKING_PARAMETERS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_ga", "_gl"}
)
_HOST = re.compile(r"(?:[^\W_](?:[\w\-]*[^\W_])?\.)+(?:[^\W\d_]{2,}|xn--[a-z0-9\-]+)|(?:\d{1,3}\.){3}\d{1,3}")


def normalise_url(raw: str) -> str:
    """A web address for matching adverts and profiles.

    The scheme becomes https (an advert is the same page over http), the host is lower-cased without
    'www.', and fragments, credentials, default ports, tracking parameters and a trailing slash go;
    the path's case and the other query parameters stay, in their order.
    """
    value = raw.strip().strip("<>\"'")
    if "://" not in value[:12]:
        value = "https://" + value.lstrip("/")
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError as exc:
        raise NormaliseError(f"'{_show(raw)}' is not a valid web address") from exc
    if parts.scheme.lower() not in {"http", "https"}:
        raise NormaliseError(f"'{_show(raw)}' is not a web address: only http and https are kept")
    if host.startswith("www."):
        host = host[4:]
    if not _HOST.fullmatch(host):
        raise NormaliseError(f"'{_show(raw)}' is not a valid web address: it has no host name")
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    if any(ch.isspace() for ch in path):
        raise NormaliseError(f"'{_show(raw)}' is not a valid web address: it contains spaces")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMETERS
    ]
    url = f"https://{netloc}{path}"
    return f"{url}?{urlencode(query)}" if query else url


# --- person names ----------------------------------------------------------------------------------


def name_tokens(raw: str) -> list[str]:
    """The lower-case ASCII words of a name, in written order: 'Nguyễn Văn An' -> ['nguyen', 'van', 'an']."""
    folded = anyascii(raw).lower()
    folded = re.sub(r"'s\b", "", folded)  # a possessive: Hung's car
    folded = re.sub(r"['`]", "", folded)  # O'Brien -> obrien, as often written
    return re.findall(r"[a-z0-9]+", folded)


def name_key(raw: str) -> str:
    """An order-free key for exact-ish matching: 'An, NGUYEN Van' and 'Nguyễn Văn An' -> 'an nguyen van'."""
    return " ".join(sorted(name_tokens(raw)))


def normalise_person_name(raw: str) -> str:
    key = name_key(raw)
    if not key or not any(ch.isalpha() for ch in key):
        raise NormaliseError(f"'{_show(raw)}' is not a name")
    return key


# --- dispatch --------------------------------------------------------------------------------------


def normalise(kind: str, raw: str, *, default_region: str = "GB") -> str:
    """The canonical form of ``raw`` as a selector of ``kind`` (a SelectorKind value)."""
    if not isinstance(raw, str) or not raw.strip():
        raise NormaliseError("The value is empty")
    match kind:
        case SelectorKind.PHONE:
            return normalise_phone(raw, default_region=default_region)
        case SelectorKind.EMAIL:
            return normalise_email(raw)
        case SelectorKind.VRM:
            return normalise_vrm(raw)
        case SelectorKind.POSTCODE:
            return normalise_postcode(raw)
        case SelectorKind.ADDRESS:
            return normalise_address(raw)
        case SelectorKind.IBAN:
            return normalise_iban(raw)
        case SelectorKind.BANK_ACCOUNT:
            return normalise_bank_account(raw)
        case SelectorKind.DOCUMENT:
            return normalise_document(raw)
        case SelectorKind.URL:
            return normalise_url(raw)
        case SelectorKind.PERSON_NAME:
            return normalise_person_name(raw)
    raise NormaliseError(f"Unknown selector kind '{kind}'")
