"""Exports every module reuses: .xlsx ledgers (`core.exports.xlsx`) and .docx documents in the
GB/T 9704-2012 official-document layout (`core.exports.docx`), plus the HTTP download response.

The builders return bytes so a view can send them directly and a background task can store them as
a file; `attachment_response` sends them with a Content-Disposition that keeps Chinese file names.
The submodules are imported lazily: openpyxl and python-docx are only loaded by code that exports.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]+')


def clean_filename(filename: str, default: str = "download") -> str:
    """A file name safe on Windows and in a header: no path parts, control characters or quotes."""
    name = unicodedata.normalize("NFC", filename or "").strip()
    name = _UNSAFE.sub("_", name).strip(" .")
    return name[:150] or default


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """Content-Disposition per RFC 6266 / RFC 5987: an ASCII fallback plus the UTF-8 name.

    Browsers use `filename*` (so 审计日志.xlsx arrives as 审计日志.xlsx); `filename` is only for old
    clients, which get the ASCII part of the name.
    """
    name = clean_filename(filename)
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("_") or "download"
    ascii_ext = re.sub(r"[^A-Za-z0-9]+", "", ext)
    fallback = f"{ascii_stem}.{ascii_ext}" if ascii_ext else ascii_stem
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment_response(filename: str, data: bytes, content_type: str) -> HttpResponse:
    """An HttpResponse that downloads `data` as `filename` and is never cached or sniffed."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    # Exports hold unit data: keep them out of shared and browser caches.
    response["Cache-Control"] = "no-store, private"
    return response


_LAZY = {
    "Column": "core.exports.xlsx",
    "build_ledger": "core.exports.xlsx",
    "write_ledger": "core.exports.xlsx",
    "xlsx_response": "core.exports.xlsx",
    "OfficialDocument": "core.exports.docx",
    "docx_response": "core.exports.docx",
    "docx_to_pdf": "core.exports.docx",
    "PdfConversionError": "core.exports.docx",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "DOCX_CONTENT_TYPE",
    "XLSX_CONTENT_TYPE",
    "attachment_response",
    "clean_filename",
    "content_disposition",
    *_LAZY,
]
