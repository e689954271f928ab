"""Uploads: checked by size and by content, stored outside the web root, served only in scope."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from core.files import check_upload, store_upload

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [("photo.png", PNG), ("minutes.pdf", PDF), ("report.docx", _docx()), ("list.csv", "姓名,单位\n".encode())],
)
def test_accepts_matching_content(name, content):
    assert check_upload(SimpleUploadedFile(name, content)) == name.rsplit(".", 1)[1]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pdf", b"", "文件为空"),
        ("fake.pdf", PNG, "不符"),
        ("fake.docx", PDF, "不符"),
        ("script.exe", b"MZ\x90\x00", "不支持的文件类型"),
        ("binary.csv", b"\x00\x01\x02", "不是文本"),
        ("notword.docx", b"PK\x03\x04" + b"\x00" * 40, "损坏"),
    ],
)
def test_rejects_bad_files_in_chinese(name, content, message):
    with pytest.raises(ValidationError) as excinfo:
        check_upload(SimpleUploadedFile(name, content))
    assert message in " ".join(excinfo.value.messages)


@override_settings(YISHI_UPLOAD_MAX_BYTES=1024)
def test_rejects_oversized():
    with pytest.raises(ValidationError, match="文件过大"):
        check_upload(SimpleUploadedFile("big.pdf", PDF + b"0" * 2048))


def test_download_only_within_scope(world, login, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    stored = store_upload(SimpleUploadedFile("纪要.pdf", PDF), unit=world.unit_a, user=world.staff_a)
    own = login(world.staff_a)
    response = own.get(f"/files/{stored.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]
    from django.test import Client

    assert login(world.head_a, Client()).get(f"/files/{stored.pk}/").status_code == 200  # unit head of 宣传科
    assert login(world.staff_b, Client()).get(f"/files/{stored.pk}/").status_code == 404  # 信息科
    assert Client().get(f"/files/{stored.pk}/").status_code == 302  # anonymous → login


def test_media_root_is_not_served(client, db):
    assert client.get("/media/files/anything").status_code in (302, 404)
