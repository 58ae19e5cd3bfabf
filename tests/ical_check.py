"""Read calendars back with independent parsers and check what every client needs.

- ``check(data)``: the raw bytes (CRLF, lines of at most 75 octets, each valid UTF-8 on its
  own), then icalendar and vobject, which must agree on every event; returns the events.
- ``icaljs(data, tmp_path)``: Mozilla's ical.js under node (``tests/js/parse_ics.mjs``), the
  parser of Thunderbird; skips the test, saying so, where node or ical.js is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest
import vobject

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PARSE_SCRIPT = PROJECT_ROOT / "tests" / "js" / "parse_ics.mjs"
ICALJS = PROJECT_ROOT / "node_modules" / "ical.js" / "package.json"


def physical_lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n"), "a calendar ends with CRLF"
    lines = data[:-2].split(b"\r\n")
    assert not any(b"\n" in line or b"\r" in line for line in lines), "bare LF or CR"
    return lines


def check_lines(data: bytes) -> None:
    """RFC 5545 §3.1: at most 75 octets a line; and no Thai character cut in two by a fold."""
    for line in physical_lines(data):
        assert len(line) <= 75, f"{len(line)} octets: {line!r}"
        line.decode("utf-8")  # raises if a fold split a character


def _utc(value: datetime) -> int:
    assert value.tzinfo is not None, "floating time"
    return int(value.astimezone(UTC).timestamp())


def check(data: bytes) -> dict:
    """Parse with icalendar and vobject; both must agree. Returns method and events by UID."""
    check_lines(data)
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar["VERSION"] == "2.0"
    assert calendar.get("PRODID")
    assert calendar.get_missing_tzids() == set(), "a TZID without its VTIMEZONE"
    events = {}
    for event in calendar.walk("VEVENT"):
        assert event.get("DTSTAMP") is not None
        uid = str(event["UID"])
        events[uid] = {
            "uid": uid,
            "sequence": int(event["SEQUENCE"]),
            "status": str(event["STATUS"]),
            "start": _utc(event.start),
            "end": _utc(event.end),
            "stamp": event["DTSTAMP"].dt,
            "summary": str(event["SUMMARY"]),
            "description": str(event["DESCRIPTION"]),
            "location": str(event.get("LOCATION", "")),
            "url": str(event.get("URL", "")),
            "tzid": event["DTSTART"].params.get("TZID"),
            "attendees": [str(a) for a in _as_list(event.get("ATTENDEE"))],
            "attendee_params": [dict(a.params) for a in _as_list(event.get("ATTENDEE"))],
            "organizer": str(event.get("ORGANIZER", "")),
            "organizer_cn": event["ORGANIZER"].params.get("CN") if "ORGANIZER" in event else None,
            "alarms": [str(a["TRIGGER"].to_ical().decode()) for a in event.walk("VALARM")],
        }
    assert len(events) == len(calendar.walk("VEVENT")), "a UID twice"
    other = vobject.readOne(data.decode("utf-8"))
    seen = {}
    for vevent in getattr(other, "vevent_list", []):
        seen[vevent.uid.value] = {
            "start": _utc(vevent.dtstart.value),
            "end": _utc(vevent.dtend.value),
            "summary": vevent.summary.value,
            "description": vevent.description.value,
            "location": vevent.location.value if hasattr(vevent, "location") else "",
            "sequence": int(vevent.sequence.value),
        }
    assert set(seen) == set(events)
    for uid, found in seen.items():
        mine = events[uid]
        assert found == {key: mine[key] for key in found}, f"vobject disagrees on {uid}"
    return {"method": str(calendar.get("METHOD", "")), "calendar": calendar, "events": events}


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def icaljs(data: bytes, tmp_path: Path) -> dict:
    """What ical.js reads: method, calendar name, VTIMEZONEs, and each event (UTC Unix times)."""
    node = shutil.which("node")
    if node is None or not ICALJS.exists():
        pytest.skip("SKIPPED: node or node_modules/ical.js is missing (run `npm ci`)")
    path = tmp_path / f"calendar-{len(list(tmp_path.glob('calendar-*.ics')))}.ics"
    path.write_bytes(data)
    done = subprocess.run(
        [node, str(PARSE_SCRIPT), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def agree(data: bytes, tmp_path: Path) -> dict:
    """``check`` and ``icaljs`` together: ical.js must read the same instants and texts."""
    parsed = check(data)
    js = icaljs(data, tmp_path)
    assert js["method"] == parsed["method"]
    assert {e["uid"] for e in js["events"]} == set(parsed["events"])
    for event in js["events"]:
        mine = parsed["events"][event["uid"]]
        assert event["startZone"] == mine["tzid"], "ical.js did not find the VTIMEZONE"
        for key in ("start", "end", "summary", "description", "sequence", "status"):
            assert event[key] == mine[key], f"ical.js disagrees on {key} of {event['uid']}"
        assert (event["location"] or "") == mine["location"]
    parsed["icaljs"] = js
    return parsed
