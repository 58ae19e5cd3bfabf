"""A session's materials: files its organisers upload (slides, PDFs, images, office documents).

Only an allow-list of types is accepted, and the type is decided by the file's CONTENT (its
magic bytes; for the zip-based office formats, the entry that names the document type), never
by its name or the browser's Content-Type. A name whose extension says another type is refused,
so "slides.pdf" that is really HTML cannot get in. Files are stored under a random name in
UPLOAD_FOLDER; the uploader's name is kept only, cleaned, as the name offered for download.

Services flush, never commit. A file is written before the row is flushed and removed again if
the flush fails; a removed row's file is deleted by the caller after its commit
(`delete_stored_file`), so a rolled-back removal never loses the file.
"""

from __future__ import annotations

import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.security import safe_join

from exchange.db import db
from exchange.models import AgendaItem, LearningSession, Material, Visibility
from exchange.services import audit

MB = 1024 * 1024
FILENAME_MAX = 200  # characters of the name offered for download (the column holds 255)
_CHUNK = 64 * 1024
_ZIP_ENTRY_MAX = 1 * MB  # the largest [Content_Types].xml or mimetype entry we read
_FORBIDDEN_IN_NAMES = set('<>:"/\\|?*')


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extensions: tuple[str, ...]  # the first is added to a name that has none
    label: LazyString
    inline: bool = False  # raster images may be shown in the browser; the rest is downloaded


def _kinds(*kinds: FileKind) -> dict[str, FileKind]:
    return {kind.content_type: kind for kind in kinds}


_OOXML = "application/vnd.openxmlformats-officedocument."
_ODF = "application/vnd.oasis.opendocument."
KINDS = _kinds(
    FileKind("application/pdf", ("pdf",), _l("PDF document")),
    FileKind("image/png", ("png",), _l("PNG image"), inline=True),
    FileKind("image/jpeg", ("jpg", "jpeg"), _l("JPEG image"), inline=True),
    FileKind("image/gif", ("gif",), _l("GIF image"), inline=True),
    FileKind("image/webp", ("webp",), _l("WebP image"), inline=True),
    FileKind(_OOXML + "presentationml.presentation", ("pptx",), _l("PowerPoint presentation")),
    FileKind(_OOXML + "wordprocessingml.document", ("docx",), _l("Word document")),
    FileKind(_OOXML + "spreadsheetml.sheet", ("xlsx",), _l("Excel workbook")),
    FileKind(_ODF + "presentation", ("odp",), _l("OpenDocument presentation")),
    FileKind(_ODF + "text", ("odt",), _l("OpenDocument text")),
    FileKind(_ODF + "spreadsheet", ("ods",), _l("OpenDocument spreadsheet")),
)
# The main part each OOXML type declares in [Content_Types].xml (macro-enabled ones differ).
_OOXML_MAIN = {
    (_OOXML + name + ".main+xml").encode(): _OOXML + name
    for name in (
        "presentationml.presentation",
        "wordprocessingml.document",
        "spreadsheetml.sheet",
    )
}


class MaterialError(Exception):
    """A refused upload or change; the message is safe to show. *too_large*: answer 413."""

    def __init__(self, message: object, *, too_large: bool = False) -> None:
        super().__init__(str(message))
        self.too_large = too_large


# --- looking at the content ---------------------------------------------------------------------


def sniff(stream: IO[bytes]) -> FileKind | None:
    """The allowed kind the content is, or None. Reads from the start of a seekable stream."""
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return KINDS["application/pdf"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return KINDS["image/png"]
    if head.startswith(b"\xff\xd8\xff"):
        return KINDS["image/jpeg"]
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return KINDS["image/gif"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return KINDS["image/webp"]
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(stream)
    return None


def _read_entry(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _ZIP_ENTRY_MAX:
        return None
    with archive.open(info) as entry:
        return entry.read(_ZIP_ENTRY_MAX)


def _sniff_zip(stream: IO[bytes]) -> FileKind | None:
    """OpenDocument (a `mimetype` entry) or OOXML (the main part in [Content_Types].xml)."""
    try:
        with zipfile.ZipFile(stream) as archive:
            mimetype = _read_entry(archive, "mimetype")
            if mimetype is not None:
                kind = KINDS.get(mimetype.strip().decode("ascii", "replace"))
                return kind if kind and kind.content_type.startswith(_ODF) else None
            types = _read_entry(archive, "[Content_Types].xml")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError):
        return None
    finally:
        stream.seek(0)
    if types is None:
        return None
    found = [content_type for main, content_type in _OOXML_MAIN.items() if main in types]
    return KINDS[found[0]] if len(found) == 1 else None


def allowed_types_text() -> str:
    return str(_l("PDF, PNG, JPEG, GIF, WebP, PowerPoint, Word, Excel or OpenDocument"))


# --- names --------------------------------------------------------------------------------------


def clean_filename(name: str, kind: FileKind) -> str:
    """The uploader's file name made safe to offer for download: no folders, no control or
    invisible characters, Thai (and any other) letters kept; the extension must be the one
    of the content's kind (added when there is none)."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        ch
        for ch in name
        if not unicodedata.category(ch).startswith("C") and ch not in _FORBIDDEN_IN_NAMES
    )
    name = " ".join(name.split()).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extension = extension.lower()
    if extension and extension not in kind.extensions:
        raise MaterialError(
            _l(
                "The file's name ends in .%(extension)s but its content is a %(kind)s. "
                "Upload the real file, or rename it to end in .%(expected)s.",
                extension=extension[:20],
                kind=kind.label,
                expected=kind.extensions[0],
            )
        )
    stem = stem.strip(" .")[: FILENAME_MAX - 6] or "material"
    return f"{stem}.{extension or kind.extensions[0]}"


def ascii_filename(material: Material) -> str:
    """A plain fallback for old clients (Content-Disposition `filename=`)."""
    from werkzeug.utils import secure_filename

    stem, _dot, extension = material.filename.rpartition(".")
    plain = secure_filename(stem)
    return f"{plain or f'material-{material.id}'}.{secure_filename(extension) or 'bin'}"


# --- storage ------------------------------------------------------------------------------------


def upload_folder() -> Path:
    folder = current_app.config.get("UPLOAD_FOLDER") or Path(current_app.instance_path, "uploads")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_upload_bytes() -> int:
    return int(current_app.config["MAX_UPLOAD_MB"] * MB)


def stored_path(material: Material) -> Path | None:
    joined = safe_join(str(upload_folder()), material.stored_name)
    return Path(joined) if joined else None


def delete_stored_file(stored_name: str) -> None:
    joined = safe_join(str(upload_folder()), stored_name)
    if joined:
        Path(joined).unlink(missing_ok=True)


def _copy_limited(source: IO[bytes], target: IO[bytes], limit: int) -> int:
    size = 0
    while chunk := source.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise MaterialError(too_large_message(), too_large=True)
        target.write(chunk)
    return size


def too_large_message() -> str:
    return str(
        _l(
            "The file is too large: files may be at most %(size)d MB.",
            size=current_app.config["MAX_UPLOAD_MB"],
        )
    )


def _store(upload: FileStorage) -> tuple[str, FileKind, int, str]:
    """Write the upload under a random name; returns (stored name, kind, size, clean name).
    Nothing is left on disk when it is refused."""
    folder = upload_folder()
    partial = folder / f".part-{secrets.token_hex(16)}"
    try:
        with partial.open("xb") as target:
            size = _copy_limited(upload.stream, target, max_upload_bytes())
        if size == 0:
            raise MaterialError(_l("The file is empty. Choose the file again."))
        with partial.open("rb") as written:
            kind = sniff(written)
        if kind is None:
            raise MaterialError(
                _l(
                    "This type of file is not accepted, whatever its name says. "
                    "Upload a %(types)s file.",
                    types=allowed_types_text(),
                )
            )
        filename = clean_filename(upload.filename or "", kind)
        stored_name = f"{secrets.token_hex(16)}.{kind.extensions[0]}"
        partial.replace(folder / stored_name)
    finally:
        partial.unlink(missing_ok=True)
    return stored_name, kind, size, filename


# --- the use-cases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaterialData:
    title: str
    visibility: Visibility
    agenda_item_id: int | None = None


def _check_agenda_item(learning_session: LearningSession, agenda_item_id: int | None) -> None:
    if agenda_item_id is None:
        return
    item = db.session.get(AgendaItem, agenda_item_id)
    if item is None or item.session_id != learning_session.id:
        raise MaterialError(_l("Choose a part of this session's agenda."))


def add_material(
    learning_session: LearningSession, upload: FileStorage, data: MaterialData, *, user_id: int
) -> Material:
    _check_agenda_item(learning_session, data.agenda_item_id)
    stored_name, kind, size, filename = _store(upload)
    try:
        last = db.session.scalar(
            select(func.max(Material.position)).where(Material.session_id == learning_session.id)
        )
        material = Material(
            session_id=learning_session.id,
            agenda_item_id=data.agenda_item_id,
            title=data.title.strip() or filename,
            filename=filename,
            stored_name=stored_name,
            content_type=kind.content_type,
            size=size,
            visibility=data.visibility,
            position=(last or 0) + 1,
            uploaded_by_id=user_id,
        )
        db.session.add(material)
        db.session.flush()
        audit.record("material.add", material, user_id=user_id, summary=material.title)
    except Exception:
        delete_stored_file(stored_name)
        raise
    return material


def update_material(material: Material, data: MaterialData, *, user_id: int) -> None:
    _check_agenda_item(material.learning_session, data.agenda_item_id)
    material.title = data.title.strip() or material.filename
    material.visibility = data.visibility
    material.agenda_item_id = data.agenda_item_id
    changes = audit.pending_changes(material)
    if changes:
        audit.record("material.edit", material, user_id=user_id, changes=changes)
    db.session.flush()


def remove_material(material: Material, *, user_id: int) -> str:
    """Delete the row; returns the stored name, for `delete_stored_file` after the commit."""
    audit.record("material.remove", material, user_id=user_id, summary=material.title)
    stored_name = material.stored_name
    db.session.delete(material)
    db.session.flush()
    return stored_name


def move_material(material: Material, step: int) -> None:
    """Swap with the neighbour above (-1) or below (+1) in the session's list."""
    rows = list(
        db.session.scalars(
            select(Material)
            .where(Material.session_id == material.session_id)
            .order_by(Material.position, Material.id)
        )
    )
    index = rows.index(material)
    other = index + step
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows, start=1):
        row.position = position
    db.session.flush()


def session_materials(session_id: int) -> list[Material]:
    """The workspace list, in order (agenda items are on the session, loaded by the page)."""
    return list(
        db.session.scalars(
            select(Material)
            .where(Material.session_id == session_id)
            .order_by(Material.position, Material.id)
        )
    )


def set_recording_url(learning_session: LearningSession, url: str, *, user_id: int) -> None:
    learning_session.recording_url = url.strip()
    changes = audit.pending_changes(learning_session)
    if changes:
        audit.record("session.recording", learning_session, user_id=user_id, changes=changes)
    db.session.flush()


# --- who sees what ------------------------------------------------------------------------------


def may_download(material: Material, *, can_manage: bool, confirmed: bool) -> bool:
    return material.visibility is Visibility.PUBLIC or can_manage or confirmed


@dataclass(frozen=True)
class MaterialGroup:
    agenda_item: AgendaItem | None  # None: the session as a whole
    materials: list[Material]


def visible_groups(
    learning_session: LearningSession, *, can_manage: bool, confirmed: bool
) -> tuple[list[MaterialGroup], int]:
    """What the viewer may download, grouped by agenda item in agenda order (the session as a
    whole first), and how many files are kept for registrants. Uses only loaded collections."""
    by_item: dict[int | None, list[Material]] = {}
    hidden = 0
    for material in learning_session.materials:
        if may_download(material, can_manage=can_manage, confirmed=confirmed):
            by_item.setdefault(material.agenda_item_id, []).append(material)
        else:
            hidden += 1
    groups = [MaterialGroup(None, by_item.pop(None))] if None in by_item else []
    for item in learning_session.agenda_items:
        if item.id in by_item:
            groups.append(MaterialGroup(item, by_item.pop(item.id)))
    return groups, hidden
