"""Fill Thai translations from a JSON file {msgid: msgstr} into the catalogue, then compile.

    .venv/bin/python scripts/translate.py th.json

Runs `make extract-messages` first (so new strings are in the catalogue), sets the given
strings, clears their fuzzy flag, and lists every string still untranslated. A file lock keeps
two people from rewriting the catalogue at once.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path("translations/th/LC_MESSAGES/messages.po")


def main(paths: list[str]) -> int:
    wanted: dict[str, str] = {}
    for path in paths:
        wanted.update(json.loads(Path(path).read_text(encoding="utf-8")))
    make = shutil.which("make") or "make"
    lock_path = Path(tempfile.gettempdir()) / "exchange-translations.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run([make, "-s", "extract-messages"], check=True, capture_output=True)  # noqa: S603 -- fixed arguments
        with PO.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            if key in wanted:
                value = wanted[key]
                if isinstance(message.id, str):
                    message.string = value
                else:  # plural: the same Thai form for every count
                    message.string = tuple(value for _ in message.id)
                message.flags.discard("fuzzy")
        with PO.open("wb") as handle:
            write_po(handle, catalog, width=0, omit_header=False)
        subprocess.run([make, "-s", "translations"], check=True, capture_output=True)  # noqa: S603 -- fixed arguments
    missing = [m.id for m in catalog if m.id and (not m.string or not all(m.string) or m.fuzzy)]
    for msgid in missing:
        print("untranslated:", msgid)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
