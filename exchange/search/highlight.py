"""Matching words marked in the original text: escaped first, then wrapped in <mark>.

Matches are found with the same units as the index (``thai.units``), so what is marked is what
was found: ``องค์การ`` inside ``การพัฒนาองค์การ``, ``Mindset`` for ``mindset``, never ``นา``
inside ``สัมมนา``.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from exchange.search.thai import normalise, unit_pattern, units

Phrase = tuple[str, ...]


def spans(text: str, phrases: list[Phrase]) -> list[tuple[int, int]]:
    """Character ranges of *text* where a phrase's units follow each other, merged."""
    found = units(text)
    keys = [u.key for u in found]
    ranges: list[tuple[int, int]] = []
    for phrase in phrases:
        size = len(phrase)
        for i in range(len(keys) - size + 1):
            if tuple(keys[i : i + size]) == phrase:
                ranges.append((found[i].start, found[i + size - 1].end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(
    text: str | None, phrases: list[Phrase], length: int | None = None, tokens: str = ""
) -> Markup:
    """*text* as safe HTML with its matches marked; with *length*, a window of about that
    many characters around the first match (or the start), with … where it was cut.

    *tokens* are the text's stored search units (``search_text``): with them the matches are
    found by aligning units to the text, without tokenising it again (a long Thai note takes
    milliseconds to tokenise)."""
    text = " ".join((text or "" if tokens else normalise(text)).split())  # stored: normalised
    marks: list[tuple[int, int]] | None = None
    if tokens and phrases:
        marks = _aligned_spans(text, tokens.split(), phrases, length)
    if marks is None:
        marks = spans(text, phrases) if phrases else []
    if length is None or len(text) <= length:
        return _render(text, marks, 0, len(text))
    first = marks[0][0] if marks else 0
    begin = _cut(text, max(0, first - length // 3), backwards=True)
    end = _cut(
        text, min(len(text), max(begin + length, marks[0][1] if marks else 0)), backwards=False
    )
    return _render(text, marks, begin, end)


def _aligned_spans(
    text: str, keys: list[str], phrases: list[Phrase], length: int | None = None
) -> list | None:
    """Matches found in the stored units, mapped to *text*; None if the units do not line up
    with the text (then the caller tokenises). With *length* (the snippet's), only the matches
    that can fall in the window after the first match are mapped: a long note's units are
    not all walked through (that was a millisecond or more per note)."""
    found: list[tuple[int, int]] = []  # unit index ranges
    for phrase in phrases:
        size = len(phrase)
        head = phrase[0]
        found += [
            (i, i + size - 1)
            for i, key in enumerate(keys)
            if key == head and tuple(keys[i : i + size]) == phrase
        ]
    if not found:
        return []
    lowered = text.lower()
    if len(lowered) != len(text):
        return None
    last = max(b for _, b in found)
    first = min(a for a, _ in found)
    offsets: list[tuple[int, int]] = []
    position = 0
    pattern = unit_pattern()
    limit = len(text)
    for index, key in enumerate(keys[: last + 1]):
        at = lowered.find(key, position)
        if at < 0 or pattern.search(text, position, at):  # a unit skipped: not aligned
            return None
        if at > limit:  # past the window: the marks after it are never shown
            break
        offsets.append((at, at + len(key)))
        position = at + len(key)
        if index == first and length is not None:
            limit = at + length + 64  # the window ends before (see highlight and _cut)
    ranges = sorted((offsets[a][0], offsets[b][1]) for a, b in found if b < len(offsets))
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _cut(text: str, at: int, *, backwards: bool) -> int:
    """A space near *at* to cut at, so that no word is split (Thai: the nearest space)."""
    if at <= 0 or at >= len(text):
        return max(0, min(at, len(text)))
    if backwards:
        space = text.rfind(" ", max(0, at - 30), at)
        return space + 1 if space >= 0 else at
    space = text.find(" ", at, at + 30)
    return space if space >= 0 else at


def _render(text: str, marks: list[tuple[int, int]], begin: int, end: int) -> Markup:
    out = [Markup("…") if begin else Markup("")]
    position = begin
    for start, stop in marks:
        if stop <= begin or start >= end:
            continue
        start, stop = max(start, begin), min(stop, end)
        out += [escape(text[position:start]), Markup("<mark>"), escape(text[start:stop])]
        out.append(Markup("</mark>"))
        position = stop
    out.append(escape(text[position:end]))
    out.append(Markup("…") if end < len(text) else Markup(""))
    return Markup("").join(out)
