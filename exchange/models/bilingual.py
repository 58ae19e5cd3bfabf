"""Fields kept in Thai and English (``name_th``/``name_en``) and how to pick one."""

from __future__ import annotations


def pick(thai: str, english: str, language: str) -> str:
    """The value in *language*, or the other one when it is empty."""
    return (english or thai) if language == "en" else (thai or english)


class Bilingual:
    """Mixin: ``obj.loc("name", "en")`` is the English value, or the Thai one if that is empty."""

    def loc(self, field: str, language: str) -> str:
        return pick(getattr(self, f"{field}_th", ""), getattr(self, f"{field}_en", ""), language)
