"""`manage.py parse_plan PATH`: JSON on stdout, a Chinese error otherwise, and no database at all.

No test here is marked django_db: pytest-django fails any test that touches the database without
the mark, so these tests passing proves the command never queries.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yishi_text.tests.paths import FIXTURES, SAMPLES

PLAN = "市审计局2026年意识形态工作要点\n一、加强理论学习，提高政治站位\n1.落实学习制度。局党组每月集中学习一次。\n"


def test_prints_the_plan_as_json(tmp_path, capsys):
    path = tmp_path / "plan.txt"
    path.write_text(PLAN, encoding="gb18030")
    call_command("parse_plan", str(path))
    out = capsys.readouterr().out
    assert "市审计局" in out and "\\u" not in out  # ensure_ascii=False
    data = json.loads(out)
    assert (data["organization"], data["year"]) == ("市审计局", 2026)
    section = data["sections"][0]
    assert (section["title"], section["heading"]) == ("加强理论学习", "加强理论学习，提高政治站位")
    (obligation,) = section["items"][0]["obligations"]
    assert (obligation["frequency"], obligation["times"], obligation["actor"]) == ("monthly", 1, "局党组")
    assert out.startswith('{\n  "title"')  # indent=2


def test_parses_a_fixture_with_an_outline(capsys):
    call_command("parse_plan", str(FIXTURES / "2026-区卫健委-提纲加正文.txt"))
    data = json.loads(capsys.readouterr().out)
    assert [len(s["items"]) for s in data["sections"]] == [2, 2, 2]


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared sample plans absent")
def test_parses_a_shared_sample(capsys):
    call_command("parse_plan", str(SAMPLES / "2026-市政府机关.txt"))
    data = json.loads(capsys.readouterr().out)
    assert sum(len(s["items"]) for s in data["sections"]) == 24
    assert any("第11条" in w for w in data["warnings"])


def test_not_a_plan_fails_with_the_chinese_message(capsys):
    with pytest.raises(CommandError, match="没有找到编号条目"):
        call_command("parse_plan", str(FIXTURES / "会议通知-非要点.txt"))
    assert capsys.readouterr().out == ""


def test_binary_and_missing_files_fail(tmp_path):
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x00\xff" * 100)
    with pytest.raises(CommandError, match="二进制"):
        call_command("parse_plan", str(binary))
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("parse_plan", str(tmp_path / "none.txt"))
