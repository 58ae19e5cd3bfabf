"""Fields kept in Thai and English (``name_th``/``name_en``) and how to pick one."""

from __future__ import annotations


class Bilingual:
    """Mixin: ``obj.loc("name", "en")`` is the English value, or the Thai one if that is empty."""

    def loc(self, field: str, language: str) -> str:
        primary, fallback = ("en", "th") if language == "en" else ("th", "en")
        return getattr(self, f"{field}_{primary}", "") or getattr(self, f"{field}_{fallback}", "")
