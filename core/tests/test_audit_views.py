"""The audit log page: who may see it, filters, the readable diff, chain verification and the export."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import audit
from core.models import AuditAction, AuditEntry
from org.models import Unit

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list]:
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in ws[2]] if ws["A2"].value == "序号" else [c.value for c in ws[3]]
    start = 3 if ws["A2"].value == "序号" else 4
    return [header] + [[c.value for c in row] for row in ws.iter_rows(min_row=start)]


@pytest.fixture
def renamed_unit(world):
    with audit.audit_context(actor=world.admin, ip="10.1.2.3"):
        unit = Unit.objects.create(name="审计测试科", parent=world.root)
        unit.name = "审计测试科（改）"
        unit.save()
    return unit


def test_admin_sees_the_log_with_readable_diffs(world, login, renamed_unit):
    c = login(world.admin)
    response = c.get("/audit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "审计日志" in html and "校验审计链" in html
    assert "名称：审计测试科 → 审计测试科（改）" in html
    assert "10.1.2.3" in html
    assert "管理员" in html  # the actor's name


def test_filters(world, login, renamed_unit):
    with audit.audit_context(actor=world.staff_b, ip="192.168.7.7"):
        audit.record(AuditAction.EXPORT, object_type="ledger.task", object_repr="台账导出-信息科")
    c = login(world.admin)

    def seqs(query: str) -> set[int]:
        html = c.get(f"/audit/?per_page=100&{query}").content.decode()
        return {int(part.split('"')[0]) for part in html.split('data-seq="')[1:]}

    updates = set(AuditEntry.objects.filter(action=AuditAction.UPDATE).values_list("seq", flat=True))
    assert seqs("action=update") == updates
    assert seqs("ip=192.168.7.7") == {AuditEntry.objects.get(ip="192.168.7.7").seq}
    by_staff_b = set(AuditEntry.objects.filter(actor=world.staff_b).values_list("seq", flat=True))
    assert seqs("actor=staff_b") == by_staff_b and by_staff_b
    assert seqs("actor=信息科员") == by_staff_b  # by display name too
    assert seqs("q=台账导出") == {AuditEntry.objects.get(object_repr="台账导出-信息科").seq}
    unit_entries = set(AuditEntry.objects.filter(object_type="org.unit").values_list("seq", flat=True))
    assert seqs("object_type=org.unit") == unit_entries
    today = timezone.localdate()
    everything = set(AuditEntry.objects.values_list("seq", flat=True))  # all written today
    assert seqs(f"date_from={today:%Y-%m-%d}&date_to={today:%Y-%m-%d}") == everything
    yesterday = today - datetime.timedelta(days=1)
    assert seqs(f"date_to={yesterday:%Y-%m-%d}") == set()
    # A malformed value is reported and ignored; the other conditions still apply.
    response = c.get("/audit/?ip=not-an-ip&action=update")
    assert "该条件未生效" in response.content.decode()
    assert seqs("ip=not-an-ip&action=update") == updates


def test_non_admin_is_refused_and_the_refusal_is_logged(world, login):
    c = login(world.head_a)
    assert c.get("/audit/").status_code == 403
    assert c.get("/audit/export.xlsx").status_code == 403
    assert c.post("/audit/", {"verify": "1"}).status_code == 403
    denied = AuditEntry.objects.filter(action=AuditAction.DENIED, actor=world.head_a)
    assert denied.count() == 3
    assert denied.first().changes["path"] in ("/audit/", "/audit/export.xlsx")
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get("/audit/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_verify_button(world, login):
    c = login(world.admin)
    response = c.post("/audit/", {"verify": "1", "querystring": "action=update&page=3"})
    assert response.status_code == 302 and response["Location"] == "/audit/?action=update"
    page = c.get(response["Location"]).content.decode()
    assert "校验通过" in page and "审计链完整" in page


def test_export_contains_the_filtered_rows_only(world, login, renamed_unit):
    c = login(world.admin)
    response = c.get("/audit/export.xlsx?action=update&object_type=org.unit")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    rows = _rows(response)
    header, data = rows[0], rows[1:]
    assert header[:4] == ["序号", "时间", "操作人", "动作"]
    expected = list(
        AuditEntry.objects.filter(action=AuditAction.UPDATE, object_type="org.unit")
        .order_by("-seq")
        .values_list("seq", flat=True)
    )
    assert [row[0] for row in data] == expected
    assert all(row[3] == "修改" for row in data)
    assert any("名称：审计测试科 → 审计测试科（改）" in (row[7] or "") for row in data)
    assert isinstance(data[0][1], datetime.datetime)
    export = AuditEntry.objects.filter(action=AuditAction.EXPORT).get()
    assert export.actor_id == world.admin.pk
    assert export.changes == {
        "filters": {"action": "update", "object_type": "org.unit"},
        "rows": len(expected),
    }


def test_export_without_filters_has_every_entry(world, login):
    c = login(world.admin)
    total = AuditEntry.objects.count()
    data = _rows(c.get("/audit/export.xlsx"))[1:]
    assert len(data) == total


def _make_entries(world, count: int) -> None:
    actors = [world.admin, world.head_a, world.staff_a, world.staff_b, world.first]
    for i in range(count):
        audit.record(
            AuditAction.UPDATE,
            actor=actors[i % len(actors)],
            object_type="test.thing",
            object_id=i,
            object_repr=f"对象{i}",
            changes={"name": [f"旧{i}", f"新{i}"]},
        )


def _queries_for_list(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/audit/?object_type=test.thing&per_page=100")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_entries(world, login):
    c = login(world.admin)
    c.get("/audit/")  # the first request after login also writes the session; measure steady state
    _make_entries(world, 20)
    few = _queries_for_list(c)
    _make_entries(world, 180)
    many = _queries_for_list(c)
    assert many == few, f"{few} queries for 20 entries but {many} for 200"
    assert few <= 15
