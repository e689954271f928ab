"""Excel ledgers (台账) with openpyxl: a title row, a styled header, frozen panes, an auto-filter.

    data = build_ledger("审计日志", [Column("时间", 18, "datetime"), Column("操作人", 12)], rows)
    return xlsx_response("审计日志.xlsx", data)

The workbook is written in openpyxl's write-only mode: rows stream to a temporary file as they come,
so memory stays flat for tens of thousands of rows (pass a generator or `queryset.iterator()`).
Every data cell gets its style by copying its column's precomputed style array, which is far cheaper
than assigning Font/Border objects cell by cell.

User text is always stored as text: openpyxl would otherwise turn a string starting with "=" into a
formula (formula injection), and it rejects control characters, which are dropped.
"""

from __future__ import annotations

import datetime
import decimal
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any, Literal

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from core.exports import XLSX_CONTENT_TYPE, attachment_response

ColumnKind = Literal["text", "date", "datetime", "number", "percent"]

FONT_NAME = "宋体"  # present on every Windows/WPS desk; xlsx has one font slot, no East Asian one
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
_FORMATS: dict[str, str] = {
    "text": "@",
    "date": DATE_FORMAT,
    "datetime": DATETIME_FORMAT,
    "number": "General",
    "percent": "0.0%",
}
_HORIZONTAL = {"text": "left", "date": "center", "datetime": "center", "number": "right", "percent": "right"}
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
MAX_SHEET_TITLE = 31  # Excel's limit


@dataclass(frozen=True)
class Column:
    """One ledger column.

    `width` is in Excel's own column-width units (what Excel's 列宽 dialog shows: about one Latin
    character; a Chinese character needs about 2). None sizes the column to its header.
    """

    header: str
    width: float | None = None
    kind: ColumnKind = "text"
    number_format: str | None = None  # overrides the kind's default format
    wrap: bool = True

    def __post_init__(self) -> None:
        if self.kind not in _FORMATS:
            raise ValueError(f"unknown column kind {self.kind!r}")

    @property
    def resolved_width(self) -> float:
        if self.width:
            return float(self.width)
        return max(8.0, display_width(self.header) + 4)

    @property
    def resolved_format(self) -> str:
        return self.number_format or _FORMATS[self.kind]


def display_width(text: str) -> int:
    """Width of `text` in Excel units: 2 for a wide (CJK) character, 1 otherwise."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clean_text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _local_naive(value: datetime.datetime) -> datetime.datetime:
    # Excel has no time zones: show the moment as Beijing wall-clock time.
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


def _coerce(value: Any, kind: str) -> Any:
    """The value as the cell should hold it for the column kind; None stays an empty cell."""
    if value is None or value == "":
        return None
    if kind == "date":
        if isinstance(value, datetime.datetime):
            return _local_naive(value).date()
        if isinstance(value, datetime.date):
            return value
    elif kind == "datetime":
        if isinstance(value, datetime.datetime):
            return _local_naive(value)
        if isinstance(value, datetime.date):
            return datetime.datetime.combine(value, datetime.time())
    elif kind in ("number", "percent"):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int | float | decimal.Decimal):
            return value
    # Text, or a value that does not fit the column kind: show it as text rather than fail.
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.datetime):
        return _local_naive(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return _clean_text(str(value))


def _style_of(ws: Any, **style: Any) -> Any:
    """The style array of a throwaway cell carrying `style`, to copy onto data cells."""
    cell = WriteOnlyCell(ws)
    for attr, value in style.items():
        setattr(cell, attr, value)
    return cell._style


def _cell(ws: Any, value: Any, style: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value)
    # Assigned after the value: binding a date would otherwise rewrite the shared array's format.
    # Nothing changes the style afterwards, so one array can serve the whole column.
    cell._style = style
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    return cell


def _sheet_title(text: str) -> str:
    for ch in "[]:*?/\\":
        text = text.replace(ch, "_")
    return text[:MAX_SHEET_TITLE].strip() or "Sheet1"


def write_ledger(
    target: IO[bytes] | str,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str | None = None,
    subtitle: str | None = None,
) -> int:
    """Write the ledger workbook to a path or binary file object; returns the number of data rows."""
    if not columns:
        raise ValueError("至少需要一列")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_sheet_title(sheet_title or title))
    ncols = len(columns)
    last_col = get_column_letter(ncols)
    header_row = 3 if subtitle else 2

    # Everything before <sheetData> (widths, panes, view) must be set before the first row.
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.resolved_width
    ws.freeze_panes = f"A{header_row + 1}"
    ws.row_dimensions[1].height = 30
    ws.row_dimensions[header_row].height = 22

    # Printing: A4 landscape, all columns on one page width, header repeated, page x of n.
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"

    title_style = _style_of(
        ws,
        font=Font(name=FONT_NAME, size=16, bold=True),
        alignment=Alignment(horizontal="center", vertical="center"),
    )
    ws.append([_cell(ws, _clean_text(title), title_style)])
    if ncols > 1:
        ws.merged_cells.add(f"A1:{last_col}1")
    if subtitle:
        sub_style = _style_of(
            ws, font=Font(name=FONT_NAME, size=10), alignment=Alignment(horizontal="left", vertical="center")
        )
        ws.append([_cell(ws, _clean_text(subtitle), sub_style)])
        if ncols > 1:
            ws.merged_cells.add(f"A2:{last_col}2")

    header_style = _style_of(
        ws,
        font=Font(name=FONT_NAME, size=11, bold=True),
        fill=_HEADER_FILL,
        border=_BORDER,
        alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
    )
    ws.append([_cell(ws, _clean_text(c.header), header_style) for c in columns])

    body_font = Font(name=FONT_NAME, size=11)
    styles = [
        _style_of(
            ws,
            font=body_font,
            border=_BORDER,
            number_format=c.resolved_format,
            alignment=Alignment(horizontal=_HORIZONTAL[c.kind], vertical="top", wrap_text=c.wrap),
        )
        for c in columns
    ]
    kinds = [c.kind for c in columns]
    count = 0
    for row in rows:
        values = list(row)[:ncols]
        values += [None] * (ncols - len(values))
        ws.append([_cell(ws, _coerce(v, kinds[i]), styles[i]) for i, v in enumerate(values)])
        count += 1

    # The filter covers the header and every data row (known only now; it is written after the rows).
    ws.auto_filter.ref = f"A{header_row}:{last_col}{header_row + count}"
    wb.save(target)
    return count


def build_ledger(
    title: str,
    columns: list[Column],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str | None = None,
    subtitle: str | None = None,
) -> bytes:
    """The ledger as .xlsx bytes: title row (merged, bold), optional subtitle row (e.g. 填报单位、
    导出时间), bold filled header with borders, panes frozen below it, auto-filter over header and
    data, column widths and formats per `Column`."""
    buffer = io.BytesIO()
    write_ledger(buffer, title, columns, rows, sheet_title=sheet_title, subtitle=subtitle)
    return buffer.getvalue()


def xlsx_response(filename: str, data: bytes) -> HttpResponse:
    """Download response for an .xlsx; the Chinese file name survives (RFC 5987 filename*)."""
    if not filename.lower().endswith(".xlsx"):
        filename += ".xlsx"
    return attachment_response(filename, data, XLSX_CONTENT_TYPE)
