"""SQL the two databases spell differently: the UTC day a timestamp falls in; report settings.

GROUP BY day_of(column) is `date_trunc('day', column)` on PostgreSQL and
`strftime('%Y-%m-%d', column)` on SQLite; as_date() reads either answer back as a date.
"""

from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from donate.extensions import db


# Lower case, like the SQL functions (func.count, ...) it stands beside in a query.
class day_of(FunctionElement):
    """The UTC day of a timestamp column (PostgreSQL: a timestamp; SQLite: 'YYYY-MM-DD').

    No result type: the values come back raw, and as_date() reads both kinds.
    """

    inherit_cache = True


@compiles(day_of, "postgresql")
def _postgresql(element, compiler, **kw) -> str:
    return f"date_trunc('day', {compiler.process(element.clauses, **kw)})"


@compiles(day_of, "sqlite")
def _sqlite(element, compiler, **kw) -> str:
    return f"strftime('%Y-%m-%d', {compiler.process(element.clauses, **kw)})"


@compiles(day_of)
def _other(element, compiler, **kw) -> str:
    raise NotImplementedError(f"day_of knows PostgreSQL and SQLite, not {compiler.dialect.name}")


def as_date(value: datetime | date | str) -> date:
    """A day_of() value as a date, whichever database answered."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


def prepare_for_reports() -> None:
    """On PostgreSQL, give this transaction's report queries room, and no JIT compiling.

    Ranking a month of donations by donor hashes and sorts ~100,000 groups, which at the default
    work_mem (4MB) spill to disk; JIT compiling costs more than these scans win back from it.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))
        db.session.execute(text("SET LOCAL jit = off"))
