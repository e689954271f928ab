"""Accepting uploads: size and type checks by content (not by the name alone), then storage.

Files live under MEDIA_ROOT, which is never served directly; `core:file_download` serves a file
only to users whose scope covers the file's unit.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from typing import Any

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from core.models import StoredFile

# extension -> MIME type we serve it as. Office files are zip containers; .csv/.txt have no magic.
ALLOWED_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "txt": "text/plain",
    "csv": "text/csv",
}
_OOXML_MARKER = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
_TEXT_TYPES = {"txt", "csv"}


def check_upload(uploaded: UploadedFile, allowed: set[str] | None = None) -> str:
    """Return the extension if the file is acceptable; raise ValidationError (in Chinese) if not."""
    allowed = allowed or set(ALLOWED_TYPES)
    name = uploaded.name or ""
    ext = os.path.splitext(name)[1].lower().lstrip(".")
    limit = settings.YISHI_UPLOAD_MAX_BYTES
    if uploaded.size is None or uploaded.size == 0:
        raise ValidationError("文件为空")
    if uploaded.size > limit:
        raise ValidationError(f"文件过大：{uploaded.size / 1048576:.1f} MB，上限 {limit // 1048576} MB")
    if ext not in allowed:
        raise ValidationError(f"不支持的文件类型 .{ext or '（无扩展名）'}，允许：{'、'.join(sorted(allowed))}")
    head = uploaded.read(8192)
    uploaded.seek(0)
    if ext in _TEXT_TYPES:
        if b"\x00" in head:
            raise ValidationError("文件内容不是文本，与扩展名不符")
        return ext
    kind = filetype.guess(head)
    if ext in _OOXML_MARKER:
        if kind is None or (kind.mime not in ("application/zip", ALLOWED_TYPES[ext]) and kind.extension != ext):
            raise ValidationError("文件内容与扩展名不符")
        try:
            with zipfile.ZipFile(uploaded) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile as exc:
            raise ValidationError("文件已损坏，无法打开") from exc
        finally:
            uploaded.seek(0)
        if not any(n.startswith(_OOXML_MARKER[ext]) for n in names):
            raise ValidationError("文件内容与扩展名不符")
        return ext
    expected = ALLOWED_TYPES[ext]
    if kind is None or kind.mime != expected:
        raise ValidationError("文件内容与扩展名不符")
    return ext


def store_upload(uploaded: UploadedFile, *, unit: Any, user: Any, purpose: str = "") -> StoredFile:
    ext = check_upload(uploaded)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    with transaction.atomic():
        stored = StoredFile(
            unit=unit,
            uploaded_by=user,
            original_name=os.path.basename(uploaded.name or "file")[:255],
            content_type=ALLOWED_TYPES[ext],
            size=uploaded.size or 0,
            sha256=digest.hexdigest(),
            purpose=purpose,
        )
        stored.file.save(stored.sha256, uploaded, save=False)
        stored.save()
    return stored
