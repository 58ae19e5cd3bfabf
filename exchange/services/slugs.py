"""Readable, never-empty slugs, also for Thai-only names (romanised with PyThaiNLP)."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable

_THAI = re.compile(r"[\u0e00-\u0e7f]")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
MAX_LENGTH = 80


def slugify(*candidates: str, fallback: str = "item") -> str:
    """The first candidate that gives a non-empty slug; Thai text is romanised (RTGS)."""
    for text in candidates:
        slug = _slug_of(text or "")
        if slug:
            return slug
    return fallback


def unique_slug(base: str, taken: Callable[[str], bool]) -> str:
    """*base*, or *base-2*, *base-3* … the first one that *taken* says is free."""
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        candidate = f"{base[: MAX_LENGTH - len(str(n)) - 1]}-{n}"
    return candidate


def _slug_of(text: str) -> str:
    if _THAI.search(text):
        text = _romanise(text)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    return slug[:MAX_LENGTH].rstrip("-")


def _romanise(text: str) -> str:
    # PyThaiNLP must never try the network or write a data directory (research note A1).
    os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
    os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
    from pythainlp.tokenize import syllable_tokenize, word_tokenize
    from pythainlp.transliterate import romanize

    # Romanising syllable by syllable reads better than whole words ("krom-sanphakon").
    def word(w: str) -> str:
        if not _THAI.search(w):
            return w
        return "".join(romanize(s, engine="royin") for s in syllable_tokenize(w, engine="dict"))

    return " ".join(word(w) for w in word_tokenize(text, engine="newmm", keep_whitespace=False))
