"""Flag tokens: how a flag is addressed without saying which report it stands for.

A flag says that an organisation holds restricted intelligence on a subject, and lets the viewer
ask for it. Were it to carry the report's id, the same id on the flags of two subjects would say
that one restricted report names both: a link the viewer may not see, and for a restricted crime
group, who its members are. So a flag carries a token instead: the (subject, report) pair
encrypted under a key of the viewer's own.

* The same flag reads the same to one viewer every time (a chart can place its node again).
* The flags of one report on two subjects read as unrelated, and so do one flag's tokens for two
  viewers.
* Only Cairn opens a token again; the flag page and the access request are reached through it
  alone (a flagged report's id answers as if there were no such report).

The pair is one 16-byte AES block (two unsigned 64-bit numbers), so the cipher is a keyed
permutation of it: no padding, no nonce, nothing stored. The viewer's key is derived from
Django's SECRET_KEY (``salted_hmac``), so changing that key retires every token, as it ends
every session.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.utils.crypto import salted_hmac

_SALT = "cairn.access.flags"
_PAIR = struct.Struct(">QQ")  # subject (0 for a flag on the report itself), report
TOKEN_LENGTH = 22  # 16 bytes in unpadded URL-safe base64


@dataclass(frozen=True)
class FlagAddress:
    """What a token stands for: a report, and the subject its flag was shown on (None: the report)."""

    report_id: int
    entity_id: int | None


def _cipher(viewer_id: int) -> Cipher[modes.ECB]:
    return _cipher_with(viewer_id, settings.SECRET_KEY)


@lru_cache(maxsize=4096)
def _cipher_with(viewer_id: int, secret: str) -> Cipher[modes.ECB]:
    """Kept per viewer (and secret): deriving the key is most of a token's cost, and a page of flags is one viewer's."""
    key = salted_hmac(_SALT, str(viewer_id), secret=secret, algorithm="sha256").digest()
    # One block, never more: ECB on a single block is the block cipher itself, a keyed permutation
    # of the pair, which is what is wanted (a repeated block would be a repeated flag).
    return Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305


def flag_token(viewer_id: int, report_id: int, entity_id: int | None) -> str:
    """The token ``viewer_id`` is shown for the flag of ``report_id`` on ``entity_id``."""
    encryptor = _cipher(viewer_id).encryptor()
    block = encryptor.update(_PAIR.pack(entity_id or 0, report_id)) + encryptor.finalize()
    return base64.urlsafe_b64encode(block).rstrip(b"=").decode("ascii")


def open_token(viewer_id: int, token: str) -> FlagAddress | None:
    """What a token shown to ``viewer_id`` stands for; None for anything that is not one.

    A token made for another viewer opens to an unrelated pair, which the caller's check that the
    report is flagged to this viewer (and names the subject) turns away.
    """
    if len(token) != TOKEN_LENGTH or not token.isascii():
        return None
    try:
        block = base64.urlsafe_b64decode(token + "==")
    except (binascii.Error, ValueError):
        return None
    # One spelling per flag: the decoder also takes '+' and '/', and the last character has four spare
    # bits; anything but the token as made is refused, so tokens compare as strings.
    if len(block) != _PAIR.size or base64.urlsafe_b64encode(block).rstrip(b"=").decode("ascii") != token:
        return None
    decryptor = _cipher(viewer_id).decryptor()
    entity_id, report_id = _PAIR.unpack(decryptor.update(block) + decryptor.finalize())
    if report_id == 0 or report_id >= 2**63 or entity_id >= 2**63:
        return None
    return FlagAddress(report_id, entity_id or None)
