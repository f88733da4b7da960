"""The seal of a submission: its content as canonical JSON and the SHA-256 digest of it.

The digest covers what the provider sent (the lots, every answer and declaration, every
price, and the name, size, type and SHA-256 of every evidence file) and nothing the
platform adds (no times, no names of people), so anyone holding the content can recompute
it. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def canonical(content: Mapping[str, Any]) -> bytes:
    """Keys sorted, no spaces, UTF-8 as it is: one text for one content."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def digest(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def file_digests(content: Mapping[str, Any]) -> list[str]:
    """The SHA-256 of every evidence file the content refers to, each once, in order."""
    found = [
        evidence["sha256"]
        for lot in content.get("lots", [])
        for answer in lot.get("answers", [])
        for evidence in answer.get("evidence", [])
    ]
    return list(dict.fromkeys(found))
