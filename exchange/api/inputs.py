"""What API clients send: JSON bodies, query arguments, and a session's fields fed through the
web's ``SessionForm`` (as a MultiDict built from the JSON), so that the API and the website
validate a session with the same rules and messages."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from exchange.api.errors import ApiError, invalid
from exchange.api.responses import (
    DEFAULT_PER_PAGE,
    MAX_PAGE,
    MAX_PER_PAGE,
    choice_arg,
    int_arg,
)
from exchange.api.spec import SLUG_MAX
from exchange.db import db
from exchange.forms.sessions import SessionForm, fill_session_choices
from exchange.i18n import current_language
from exchange.models import (
    Agency,
    LearningSession,
    SessionFormat,
    Topic,
    User,
    UserRole,
)
from exchange.models.learning_session import is_known_timezone

Json = dict[str, Any]

MAX_ID = 2**31 - 1  # INTEGER columns: a larger id names nothing (and PostgreSQL would refuse it)
MESSAGE_MAX = 2000  # the cancellation note, as on the web
# ASCII: JSON Schema's \d is 0-9 only, Python's would take Thai digits too
LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", re.ASCII)
OFFSET_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})", re.ASCII
)
SLUG_PATTERN = r"^([a-z0-9]+(-[a-z0-9]+)*)?$"
SLUG = re.compile(SLUG_PATTERN.strip("^$"))
TIME_PATTERN = (
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"
    r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))$"
)

TEXT_FIELDS = ("title_th", "title_en", "slug", "description_th", "description_en", "platform",
               "venue", "join_url")  # fmt: skip
TIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
SESSION_FIELDS = frozenset(
    (*TEXT_FIELDS, *TIME_FIELDS, "organiser", "format", "timezone", "capacity", "topics")
)
DEFAULT_TIMEZONE = "Asia/Bangkok"  # what the web's new-session form starts with


# --- reading the request ---------------------------------------------------------------------


def _refuse_constant(name: str) -> None:
    raise ValueError(name)  # NaN and Infinity are not JSON


def json_body(*, required: bool) -> Json:
    """The JSON object sent; ``{}`` when an optional body is absent. 415 / 400 otherwise."""
    raw = request.get_data(cache=True)
    if not raw and not required:
        return {}
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise ApiError(415, _("Send the body as JSON, with Content-Type: application/json."))
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(400, _("The body is not valid JSON."), "invalid_json") from None
    if not isinstance(value, dict):
        raise ApiError(400, _('Send a JSON object, like {"name": …}.'), "invalid_json")
    return value


def reject_unknown(body: Json, allowed: frozenset[str] | tuple[str, ...]) -> None:
    """400 naming every field this endpoint does not take."""
    unknown = [name for name in body if name not in allowed]
    if unknown:
        raise invalid({_shown(name): [_("Unknown field.")] for name in unknown})


def _shown(name: str) -> str:
    """A field name safe to echo in JSON (no unpaired surrogates), and not too long."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")[:100]


def storable(text: str) -> bool:
    """PostgreSQL refuses NUL in text, and no database stores an unpaired surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def plausible_slug(slug: str) -> bool:
    """Whether *slug* could name a row: PostgreSQL refuses NUL in text, so never send one."""
    return 0 < len(slug) <= SLUG_MAX and "\x00" not in slug


def query_args(*, paging: bool = False) -> tuple[int, int]:
    """``lang`` (th or en) and, for lists, ``page`` and ``per_page``: a 400 naming each bad one.

    Empty is not absent (``?page=`` is a 400, as in the public reads), and any other argument
    is refused as unknown body fields are: a typo must not pass for a setting.
    """
    parsers: dict[str, Callable[[], Any]] = {
        "lang": lambda: choice_arg("lang", tuple(current_app.config["LANGUAGES"]))
    }
    if paging:
        parsers["page"] = lambda: int_arg("page", 1, minimum=1, maximum=MAX_PAGE)
        parsers["per_page"] = lambda: int_arg(
            "per_page", DEFAULT_PER_PAGE, minimum=1, maximum=MAX_PER_PAGE
        )
    values: dict[str, Any] = {}
    fields = {
        _shown(name): [_("Unknown argument.")] for name in request.args if name not in parsers
    }
    for name, parse in parsers.items():
        if request.args.get(name) == "":
            fields[name] = [_("Give a value, or leave this argument out.")]
            continue
        try:
            values[name] = parse()
        except ApiError as error:
            fields.update(error.fields or {name: [error.message]})
    if fields:
        raise invalid(fields)
    return values.get("page", 1), values.get("per_page", DEFAULT_PER_PAGE)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- a session's fields through the web's form -----------------------------------------------


def form_values(data: dict[str, object]) -> Json:
    """``form_data()`` (Python values) as the strings a browser would post."""
    values: Json = {}
    for name, value in data.items():
        if name == "topics":
            values[name] = [str(v) for v in value]  # type: ignore[attr-defined]
        elif isinstance(value, datetime):
            values[name] = _local_string(value)
        else:
            values[name] = "" if value is None else str(value)
    return values


def _local_string(value: datetime) -> str:
    """The datetime-local form value (strftime would not pad a year before 1000)."""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}"


def session_form(
    body: Json,
    base: Json,
    user: User,
    learning_session: LearningSession | None = None,
) -> SessionForm:
    """*body* over *base* (form values), validated by SessionForm: the form, or a 400 / 403.

    JSON types are checked here (the web form never sees a number or a list); everything the
    web form checks, it checks itself, with its own messages.
    """
    problems: dict[str, list[str]] = {}
    values = dict(base)
    for name, value in body.items():
        try:
            values[name] = CONVERT[name](value)
        except _Problem as problem:
            problems[name] = [problem.message]
    _check_timezone(body, values, problems)
    zone = values.get("timezone") if is_known_timezone(values.get("timezone")) else None
    for name in TIME_FIELDS:
        if name in body and name not in problems and values[name]:
            try:
                values[name] = _time_for_form(values[name], zone)
            except _Problem as problem:
                problems[name] = [problem.message]
    _check_organiser(body, values, problems, user)
    _check_topics(values, problems)
    formdata = MultiDict()
    for name, value in values.items():
        if name in problems:  # already refused: keep the form from adding its own message
            value = base.get(name, [] if name == "topics" else "")
        for item in value if isinstance(value, list) else [value]:
            formdata.add(name, item)
    zones = [values["timezone"]] if isinstance(values.get("timezone"), str) else []
    form = SessionForm(formdata=formdata, meta={"csrf": False}, timezone_choices=zones)
    fill_session_choices(form, user, current_language(), learning_session)
    form.validate()
    errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
    errors.update(problems)
    if errors:
        raise invalid(errors)
    return form


class _Problem(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _text(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Problem(_("Use a text (a JSON string)."))
    if not storable(value):
        raise _Problem(_("Remove the characters that cannot be stored (NUL, lone surrogates)."))
    return value


def _required_text(value: object) -> str:
    if value is None:
        raise _Problem(_("Use a text (a JSON string)."))
    return _text(value)


def _slug(value: object) -> str:
    """As the form's rule, but whole: its ``$`` would let "open-data\\n" through."""
    text = _text(value)
    if not SLUG.fullmatch(text):
        raise _Problem(_("Use only a–z, 0–9 and single hyphens, like open-data-2026."))
    return text


def _format(value: object) -> str:
    choices = [f.value for f in SessionFormat]
    if value not in choices:
        raise _Problem(_("Use one of: %(choices)s.", choices=", ".join(choices)))
    return str(value)


def _time(value: object) -> str:
    if not isinstance(value, str) or not (LOCAL_TIME.fullmatch(value) or _offset_match(value)):
        raise _Problem(_time_message())
    return value


def _optional_time(value: object) -> str:
    return "" if value is None else _time(value)


def _offset_match(value: str) -> bool:
    return bool(OFFSET_TIME.fullmatch(value))


def _time_message() -> str:
    return _(
        "Use a date and time like 2026-12-31T09:00 (in the session's timezone) or "
        "2026-12-31T09:00:00+07:00."
    )


def _agency_id(value: object) -> str:
    if not _is_int(value):
        raise _Problem(_("Use the id of an agency (a whole number)."))
    return str(value)


def _capacity(value: object) -> str:
    if value is None:
        return ""
    if not _is_int(value):
        raise _Problem(_("Enter a whole number of seats, like 50, or leave it empty."))
    return str(value)


def _topic_ids(value: object) -> list[str]:
    if not isinstance(value, list) or not all(_is_int(v) for v in value):
        raise _Problem(_("Use a list of topic ids (whole numbers)."))
    return [str(v) for v in value]


CONVERT: dict[str, Callable[[object], Any]] = {
    **{name: _text for name in TEXT_FIELDS},
    "title_th": _required_text,
    "slug": _slug,
    "timezone": _required_text,
    "format": _format,
    "starts_at": _time,
    "ends_at": _time,
    "registration_opens_at": _optional_time,
    "registration_closes_at": _optional_time,
    "organiser": _agency_id,
    "capacity": _capacity,
    "topics": _topic_ids,
}


def _time_for_form(value: str, zone: str | None) -> str:
    """A local "YYYY-MM-DDTHH:MM" as it is; an RFC 3339 time converted to *zone*'s local time."""
    if LOCAL_TIME.fullmatch(value):
        try:
            datetime.strptime(value, "%Y-%m-%dT%H:%M")  # a real date? (the zone comes later)
        except ValueError:
            raise _Problem(_time_message()) from None
        return value
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        local = moment.astimezone(ZoneInfo(zone)) if zone else moment
    except (ValueError, OverflowError):
        raise _Problem(_time_message()) from None
    return _local_string(local)


def _check_timezone(body: Json, values: Json, problems: dict[str, list[str]]) -> None:
    """The form accepts any zone the OS knows; the model only real places ("Factory" is not)."""
    known = is_known_timezone(values.get("timezone"))
    if "timezone" in body and "timezone" not in problems and not known:
        problems["timezone"] = [_("Choose a known timezone, like Asia/Bangkok.")]


def _check_organiser(body: Json, values: Json, problems: dict[str, list[str]], user: User) -> None:
    """Organisers organise for their own agency only (403); admins for any that exists."""
    if "organiser" in problems:
        return
    if user.role is not UserRole.ADMIN and user.agency_id is None:
        raise ApiError(403, _("Your account has no agency yet: ask an administrator to set it."))
    raw = values.get("organiser") or ""
    if not raw:
        problems["organiser"] = [_("Choose the organising agency.")]
        return
    agency_id = int(raw)
    if user.role is not UserRole.ADMIN:
        if agency_id != user.agency_id and "organiser" in body:
            raise ApiError(403, _("Organisers may only organise their own agency's sessions."))
        return
    if not 1 <= agency_id <= MAX_ID or db.session.get(Agency, agency_id) is None:
        problems["organiser"] = [_("No agency has this id.")]


def _check_topics(values: Json, problems: dict[str, list[str]]) -> None:
    if "topics" in problems:
        return
    ids = {int(v) for v in values.get("topics") or []}
    if not ids:
        return
    plausible = {i for i in ids if 1 <= i <= MAX_ID}
    found = set(db.session.scalars(select(Topic.id).where(Topic.id.in_(plausible))))
    unknown = sorted(ids - found)
    if unknown:
        problems["topics"] = [
            _("No topic has the id %(ids)s.", ids=", ".join(str(i) for i in unknown))
        ]
