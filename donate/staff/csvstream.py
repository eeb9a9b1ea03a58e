"""CSV streamed row by row: constant memory however many rows, safe to open in a spreadsheet."""

import csv
import io
from collections.abc import Iterable, Iterator

from flask import Response, stream_with_context

#: A cell starting with one of these is run as a formula by spreadsheets ("=HYPERLINK(...)").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Rows per chunk sent: few enough to stay small, enough to not send a packet per row.
CHUNK_ROWS = 500


def neutralise(cell: object) -> object:
    """A leading ' makes a spreadsheet show formula-like text as text (OWASP's advice)."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def csv_chunks(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The header, then the rows, as CSV text in chunks of CHUNK_ROWS rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([neutralise(cell) for cell in row])
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def streamed_csv(filename: str, chunks: Iterator[str]) -> Response:
    """A download that sends chunks as they are made, inside the request's context."""
    return Response(stream_with_context(chunks), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff"})
