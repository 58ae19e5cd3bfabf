"""The data's version: one number, raised by every transaction that changes what pages show.

Read by ``exchange.page_cache``: a page kept in memory is served only while the version it was
made at is still the current one. The row (id 1) is made by the migration, and by
``create_all`` in tests (the ``after_create`` hook below).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import db

ROW_ID = 1


class DataVersion(db.Model):
    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


sa.event.listen(
    DataVersion.__table__,
    "after_create",
    sa.DDL("INSERT INTO data_version (id, value) VALUES (1, 0)"),  # ROW_ID
)
