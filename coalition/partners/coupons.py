"""Coupon codes and their QR codes. Pure: no I/O."""

from __future__ import annotations

import io
import secrets

import segno

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    """12 characters (60 bits) in groups of four, e.g. CPN-7KQX-M2RD-W9TB:
    unguessable, and easy to read aloud or type at a till."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"CPN-{body[:4]}-{body[4:8]}-{body[8:]}"


def normalise(code: str) -> str:
    compact = code.strip().upper().replace(" ", "").replace("-", "")
    if compact.startswith("CPN"):
        compact = compact[3:]
    if len(compact) != 12 or any(c not in _ALPHABET for c in compact):
        return code.strip().upper()
    return f"CPN-{compact[:4]}-{compact[4:8]}-{compact[8:]}"


def qr_svg(code: str) -> str:
    """The code as an inline SVG QR code, for the wallet app and receipts."""
    buffer = io.BytesIO()
    segno.make(code, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()
