"""Readable slugs that are never empty, also for Thai-only names."""

from __future__ import annotations

import re

from exchange.services.slugs import slugify, unique_slug

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def test_english_name_is_used_when_given():
    assert slugify("Revenue Department", "กรมสรรพากร") == "revenue-department"


def test_thai_only_name_is_romanised():
    slug = slugify("", "กรมสรรพากร")
    assert SLUG.match(slug)
    assert slug.startswith("krom")


def test_thai_title_with_punctuation_and_numbers():
    slug = slugify("ไขกุญแจความสำเร็จ... เรื่อง (ไม่) ลับสู่การเป็นองค์การ 4.0")
    assert SLUG.match(slug)
    assert slug.endswith("4-0")


def test_nothing_usable_falls_back():
    assert slugify("!!!", "   ", fallback="session") == "session"


def test_long_names_are_cut():
    assert len(slugify("word " * 100)) <= 80


def test_unique_slug_counts_up():
    taken = {"opdc", "opdc-2"}
    assert unique_slug("opdc", taken.__contains__) == "opdc-3"
    assert unique_slug("new", taken.__contains__) == "new"
