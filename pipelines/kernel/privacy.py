"""Pseudonyms for people: annotators and commenters are stored as keyed hashes, never in clear."""

from __future__ import annotations

import hashlib
import hmac
import os
import re

# A project-wide default keeps demo pseudonyms stable; real projects set their own key.
PSEUDONYM_KEY_ENV = "FRAMECHECK_PSEUDONYM_KEY"


_DEFAULT_KEY = b"framecheck-demo-pseudonyms"


_PSEUDONYM = re.compile(r"(annotator|commenter)-[0-9a-f]{10}")


def pseudonym(identity: object, prefix: str = "annotator") -> str:
    """A keyed hash of an identity; an identity that is already a pseudonym is kept as is."""
    if isinstance(identity, str) and _PSEUDONYM.fullmatch(identity):
        return identity
    key = os.environ.get(PSEUDONYM_KEY_ENV, "").encode() or _DEFAULT_KEY
    digest = hmac.new(key, str(identity).encode("utf-8"), hashlib.sha256).hexdigest()[:10]
    return f"{prefix}-{digest}"
