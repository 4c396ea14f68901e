"""CSV downloads: safe to open in a spreadsheet, and streamed so a million rows keep memory flat."""

import csv
from collections.abc import Iterable, Sequence

from django.http import StreamingHttpResponse

from .replica import replica_reads_streamed

# A cell starting with one of these is a formula to Excel and LibreOffice; a leading ' shows it as text
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LINES_PER_WRITE = 500  # one socket write per few hundred rows, not per row


def csv_cell(value: object) -> object:
    """Text that could run as a formula, defused; numbers stay numbers (a negative count is no formula)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence]) -> Iterable[str]:
    """The BOM, then the rows as CSV text in batches."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # without it Excel reads UTF-8 as the local code page
    batch: list[str] = []
    for row in rows:
        batch.append(writer.writerow([csv_cell(value) for value in row]))
        if len(batch) >= LINES_PER_WRITE:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def csv_response(rows: Iterable[Sequence], *, filename: str) -> StreamingHttpResponse:
    """rows: the header first; a generator is read as the client downloads, not before (from the read replica when
    there is one)."""
    response = StreamingHttpResponse(replica_reads_streamed(csv_lines(rows)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # ticket data: not for shared caches
    return response
