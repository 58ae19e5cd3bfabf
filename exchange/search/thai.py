"""Text → search units: Thai by syllable (PyThaiNLP), everything else by word; one function
for indexing, querying and highlighting, so that the three always agree.

A *unit* is a run of letters, digits and marks (Unicode L*, N*, M*, Co), lower-cased and, for
non-Thai text, stripped of accents. Units are stored space-separated, so the database's own
tokeniser (FTS5 ``unicode61`` with ``categories 'L* N* Co M*'``, PostgreSQL ``'simple'``) has
nothing left to decide, and a query chunk becomes a phrase of units: ``ระบบราชการ`` →
``"ระ บบ ราช การ"`` is found inside ``การเป็นระบบราชการ 4.0`` but ``นา`` is not found inside
``สัมมนา`` (``สัม มนา``). See docs in research-thai-and-calendars.md, section A2.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

MAX_QUERY_CHARS = 200  # a longer query is cut here
MAX_TERMS = 8  # whitespace-separated chunks; each one a phrase, all of them ANDed
MAX_UNITS_PER_TERM = 16  # syllables or words in one phrase

_THAI_RUN = re.compile(r"[\u0E00-\u0E7F]+")
_lock = threading.Lock()
_warm = False


@dataclass(frozen=True, slots=True)
class Unit:
    start: int
    end: int
    key: str


def _fold(piece: str) -> str:
    """Lower case; accents off non-Thai letters (``Café`` → ``cafe``), Thai marks kept."""
    piece = piece.casefold()
    if _THAI_RUN.search(piece):
        return piece
    decomposed = unicodedata.normalize("NFKD", piece)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    # ``ͺ`` decomposes to a space, ``ﷺ`` to four words: a unit must stay one blank-free token
    return folded if folded and not any(c.isspace() for c in folded) else piece


def _syllables(thai: str) -> list[str]:
    """PyThaiNLP's ``syllable_tokenize(engine="dict")`` (newmm words, then each word split by
    the syllable dictionary), with the per-word step cached: words repeat, runs do not."""
    from pythainlp.tokenize import word_tokenize

    words = word_tokenize(thai, engine="newmm", custom_dict=_word_dictionary())
    return [s for word in words for s in _word_syllables(word)]


class WordSet:
    """PyThaiNLP's word dictionary for newmm, as a set instead of its ``Trie``.

    newmm asks the dictionary one thing: ``prefixes(text, start)``, the words that begin at
    *start*, shortest first. PyThaiNLP's Trie answers it with a node object per letter of
    62,000 words: 63 MB in every worker that has tokenised Thai, which put workers over
    150 MB. This answers it from the words themselves (shared with PyThaiNLP's word list) and
    the longest word per three-letter beginning, about 1 MB, with the same answer (tested
    against the Trie); tokenising takes about 1.5× as long (a second for 600,000 letters).
    """

    def __init__(self, words: frozenset[str]) -> None:
        self._words = words
        self._single = frozenset(w for w in words if len(w) == 1)
        longest: dict[str, int] = {}
        for word in words:
            if len(word) >= 3 and len(word) > longest.get(word[:3], 0):
                longest[word[:3]] = len(word)
        self._longest = longest

    def prefixes(self, text: str, start: int = 0) -> list[str]:
        found = []
        if text[start : start + 1] in self._single:
            found.append(text[start])
        two = text[start : start + 2]
        if len(two) == 2 and two in self._words:
            found.append(two)
        longest = self._longest.get(text[start : start + 3])
        if longest is not None:
            words = self._words
            for end in range(start + 3, min(start + longest, len(text)) + 1):
                if (piece := text[start:end]) in words:
                    found.append(piece)
        return found

    def __contains__(self, word: str) -> bool:
        return word in self._words

    def __len__(self) -> int:
        return len(self._words)


@lru_cache(maxsize=1)
def _word_dictionary() -> WordSet:
    from pythainlp.corpus import thai_words

    return WordSet(thai_words())


@lru_cache(maxsize=65536)
def _word_syllables(word: str) -> tuple[str, ...]:
    from pythainlp.tokenize import syllable_dict_trie, word_tokenize

    return tuple(word_tokenize(word, custom_dict=syllable_dict_trie()))


def warm() -> None:
    """Load PyThaiNLP's dictionary once per process (0.5–1 s), on first use."""
    global _warm
    if _warm:
        return
    with _lock:
        if not _warm:
            _syllables("ก")
            _warm = True


def normalise(text: str | None) -> str:
    """PyThaiNLP's normalisation (``นํา`` → ``นำ``, doubled tone marks off, spaces collapsed)."""
    text = text or ""
    return _normalise_short(text) if len(text) <= 400 else _normalise(text)


@lru_cache(maxsize=8192)
def _normalise_short(text: str) -> str:
    return _normalise(text)


def _normalise(text: str) -> str:
    from pythainlp.util import normalize

    return normalize(text)


def units(text: str) -> list[Unit]:
    """The units of already-normalised *text*, with their offsets in it."""
    if len(text) <= 400:  # titles, names, statements: the same ones come back query after query
        return list(_short_units(text))
    return _units(text)


@lru_cache(maxsize=8192)
def _short_units(text: str) -> tuple[Unit, ...]:
    return tuple(_units(text))


def _units(text: str) -> list[Unit]:
    warm()
    found: list[Unit] = []
    position = 0
    for match in _THAI_RUN.finditer(text):
        found.extend(_plain_units(text, position, match.start()))
        offset = match.start()
        for syllable in _syllables(match.group()):
            found.extend(_plain_units(text, offset, offset + len(syllable)))
            offset += len(syllable)
        if offset != match.end():  # the tokeniser changed the text: fall back to whole words
            found = [u for u in found if u.end <= match.start()]
            found.extend(_plain_units(text, match.start(), match.end()))
        position = match.end()
    found.extend(_plain_units(text, position, len(text)))
    return found


def _plain_units(text: str, start: int, end: int) -> list[Unit]:
    return [
        Unit(m.start(), m.end(), _fold(m.group()))
        for m in unit_pattern().finditer(text, start, end)
    ]


@lru_cache(maxsize=1)
def unit_pattern() -> re.Pattern[str]:
    """Runs of letters and digits (``[^\\W_]``) and of marks or private-use characters."""
    extra: list[str] = []
    begin = None
    for code in range(0x10000 + 1):
        inside = code <= 0xFFFF and (
            unicodedata.category(chr(code))[0] == "M" or unicodedata.category(chr(code)) == "Co"
        )
        if inside and begin is None:
            begin = code
        elif not inside and begin is not None:
            extra.append(f"\\u{begin:04X}-\\u{code - 1:04X}")
            begin = None
    return re.compile(r"(?:[^\W_]|[" + "".join(extra) + "])+")


def search_tokens(text: str | None) -> str:
    """What is stored and indexed: the units of *text*, space-separated."""
    return " ".join(u.key for u in units(normalise(text)))


def query_phrases(query: str | None) -> list[tuple[str, ...]]:
    """The user's query as phrases of units: one per whitespace-separated chunk (capped),
    duplicates and chunks without any letter or digit dropped."""
    phrases: list[tuple[str, ...]] = []
    for chunk in normalise((query or "")[:MAX_QUERY_CHARS]).split():
        phrase = _phrase(chunk)
        if phrase and phrase not in phrases:
            phrases.append(phrase)
        if len(phrases) == MAX_TERMS:
            break
    return phrases


@lru_cache(maxsize=512)
def _phrase(chunk: str) -> tuple[str, ...]:
    return tuple(u.key for u in units(chunk))[:MAX_UNITS_PER_TERM]
