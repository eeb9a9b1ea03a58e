"""Keyset pagination, newest first: fast on page 1,000 as on page 1 (no OFFSET to count off).

The order (created_at DESC, id DESC) is what the (created_at, id) indexes hold, and the cursor
is the last row's pair, so a page is an index range scan from where the last one stopped.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, tuple_
from werkzeug.exceptions import BadRequest

from donate.extensions import db


@dataclass(frozen=True)
class Page:
    rows: list
    next_cursor: str | None  #: pass as `after` for the next page; None on the last one


def cursor_of(created_at: datetime, row_id: int) -> str:
    return f"{created_at.isoformat()}_{row_id}"


def parse_cursor(text: str) -> tuple[datetime, int]:
    try:
        created, _, row_id = text.rpartition("_")
        return datetime.fromisoformat(created), int(row_id)
    except ValueError:
        raise BadRequest("That page link is broken; start again from the first page.") from None


def keyset_page(query: Select, created_column, id_column, after: str | None,
                size: int = 50) -> Page:
    """One page of `query`'s entities, newest first, starting after the cursor `after`."""
    if after:
        query = query.where(tuple_(created_column, id_column) < tuple_(*parse_cursor(after)))
    query = query.order_by(created_column.desc(), id_column.desc()).limit(size + 1)
    rows = list(db.session.scalars(query).unique())
    if len(rows) <= size:
        return Page(rows, None)
    last = rows[size - 1]
    return Page(rows[:size], cursor_of(last.created_at, last.id))
