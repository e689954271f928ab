"""Ingest endpoints of /api/opinion: the push API for outside systems and the file import.

- `POST /api/opinion/push` — authenticated by the push source's own token
  (`Authorization: Bearer yp_…`, created once in the source page; only its SHA-256 is stored),
  not by a user token. Up to 500 items per call. Duplicate pushes are skipped and counted, items
  failing the language/length checks are counted as skipped: the answer is
  `{received, new, duplicates, skipped}`. Processing (and alerting) starts as soon as the call commits.
- `POST /api/opinion/sources/{id}/import` — a .csv/.xlsx file into a source (舆情管理 permission),
  all or nothing: a bad row rejects the whole file with its row number (400).

Statuses: 401 missing or invalid token; 422 a body that does not match the schema (too many items,
a field too long, a bad date); 400 a body that is not JSON or a refused file; 404 no such source.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, File, Path, Router, Schema, Status, UploadedFile
from ninja.security import HttpBearer

from core import audit
from ledger.api import MULTILINE
from opinion.models import Source
from opinion.pipeline import ingest
from opinion.sources import do_import_items, source_for_token
from org.api import MAX_ID, TEXT, BodySchema, ErrorOut

router = Router()

MAX_PUSH_ITEMS = 500


class PushTokenAuth(HttpBearer):
    openapi_description = "推送信息源的令牌（在信息源页面生成，仅显示一次）：Authorization: Bearer yp_…"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        source = source_for_token(token)
        if source is None:
            return None
        audit.bind_actor(audit.system_user(), via="push")
        return source


class PushItemIn(BodySchema):
    title: Annotated[str, Field(max_length=500, pattern=TEXT)] = ""
    body: Annotated[str, Field(max_length=100_000, pattern=MULTILINE)] = ""
    url: Annotated[str, Field(max_length=2000, pattern=TEXT)] = ""
    published_at: datetime.datetime | None = Field(None, description="ISO 8601，含时区；缺省为接收时间")
    id: Annotated[str, Field(max_length=300, pattern=TEXT)] = Field("", description="来源系统中的编号，用于去重")


class PushIn(BodySchema):
    items: list[PushItemIn] = Field(..., min_length=1, max_length=MAX_PUSH_ITEMS,
                                    description=f"1–{MAX_PUSH_ITEMS} 条")


class IngestOut(Schema):
    received: int
    new: int
    duplicates: int
    skipped: int


class _Raw:
    """What opinion.pipeline.ingest reads from an item (same attributes as feeds.RawItem)."""

    __slots__ = ("title", "body", "url", "published", "external_id")

    def __init__(self, item: PushItemIn) -> None:
        self.title, self.body, self.url, self.external_id = item.title, item.body, item.url, item.id
        published = item.published_at
        if published is not None and published.tzinfo is None:
            published = published.replace(tzinfo=datetime.UTC)
        self.published = published


@router.post(
    "/push", auth=PushTokenAuth(), response={200: IngestOut, 401: ErrorOut, 422: ErrorOut},
    summary="推送舆情信息（推送信息源令牌）",
    description=f"一次最多 {MAX_PUSH_ITEMS} 条；重复推送（同一编号或同一链接）跳过并计数。",
)
def push(request: HttpRequest, payload: PushIn) -> Any:
    source: Source = request.auth
    result = ingest(source, [_Raw(item) for item in payload.items])
    return {"received": len(payload.items), "new": result.new, "duplicates": result.duplicates,
            "skipped": result.skipped}


@router.post(
    "/sources/{source_id}/import",
    response={200: IngestOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="导入舆情信息（.csv / .xlsx）",
    description="表头：标题/正文/链接/发布时间/编号。全部行先校验，任何一行有误则整个文件不导入（400，含行号）。",
)
def import_items(request: HttpRequest, source_id: Annotated[int, Path(ge=1, le=MAX_ID)],
                 file: File[UploadedFile]) -> Any:
    source = get_object_or_404(Source, pk=source_id)
    try:
        result = do_import_items(source, file, acting_user=request.auth)
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    return {"received": result.new + result.duplicates + result.skipped, "new": result.new,
            "duplicates": result.duplicates, "skipped": result.skipped}


__all__ = ["router"]
