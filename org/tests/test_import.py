"""Org-chart import: all-or-nothing, every row error reported, idempotent, and audited."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from core.models import AuditAction, AuditEntry, User
from core.roles import Role
from org.importers import COLUMNS, ImportRejected, build_template, import_org_chart
from org.models import Person, RoleAssignment, Unit

pytestmark = pytest.mark.django_db


def xlsx(rows: list[list[str]], header: list[str] | None = None, name: str = "org.xlsx") -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(header or COLUMNS))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def csv_file(rows: list[list[str]], encoding: str = "utf-8-sig", name: str = "org.csv") -> SimpleUploadedFile:
    lines = [",".join(COLUMNS)] + [",".join(r) for r in rows]
    return SimpleUploadedFile(name, ("\r\n".join(lines) + "\r\n").encode(encoding), content_type="text/csv")


def cols(**cells: str) -> list[str]:
    """One row; the keyword names are the Chinese column headers (valid Python identifiers)."""
    return [cells.get(c, "") for c in COLUMNS]


GOOD = [
    # children listed before their parent: 上级单位 may refer forward
    cols(单位名称="网信组", 上级单位="宣传部", 单位类型="其他", 姓名="李四", 职务="组长", 工号="2002",
         登录账号="lisi", 角色="信息员、网评员"),
    cols(单位名称="宣传部", 上级单位="测试机关", 单位类型="科室", 单位编码="XC", 姓名="张三", 职务="部长",
         邮箱="zhangsan@example.gov.cn", 工号="2001", 登录账号="zhangsan", 角色="科室负责人"),
    cols(单位名称="宣传部", 姓名="王五", 职务="科员"),
    cols(单位名称="信息科", 姓名="赵六", 工号="2003", 角色="分管领导", 负责单位="宣传部、网信组"),
]


def test_template_has_header_example_and_notes(world, login):
    response = login(world.staff_a).get("/org/import/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["组织机构", "说明"]
    header = [c.value for c in book["组织机构"][1]]
    assert header == list(COLUMNS)
    assert book["组织机构"].max_row >= 2
    notes = " ".join(str(c.value or "") for r in book["说明"].iter_rows() for c in r)
    assert "登录账号" in notes and "临时密码" in notes


def test_template_imports_cleanly(world):
    """The example rows of the template are themselves a valid file."""
    summary = import_org_chart(SimpleUploadedFile("t.xlsx", build_template()), acting_user=world.admin)
    assert summary.units_created == 2 and summary.people_created == 1


def test_valid_file_creates_everything_and_reports_accounts(world):
    summary = import_org_chart(xlsx(GOOD), acting_user=world.admin)
    assert (summary.units_created, summary.people_created) == (2, 4)
    xc = Unit.objects.get(code="XC")
    assert xc.parent == world.root and xc.kind == "section"
    assert Unit.objects.get(name="网信组").parent == xc
    zhang = Person.objects.get(employee_no="2001")
    assert zhang.unit == xc and zhang.email == "zhangsan@example.gov.cn"
    assert zhang.user.username == "zhangsan" and zhang.user.must_change_password
    assert {a.username for a in summary.accounts} == {"zhangsan", "lisi"}
    account = next(a for a in summary.accounts if a.username == "zhangsan")
    assert zhang.user.check_password(account.password)
    assert set(RoleAssignment.objects.filter(person__name="李四").values_list("role", flat=True)) == {
        Role.LIAISON, Role.COMMENTATOR,
    }
    zhao = Person.objects.get(name="赵六")
    assert zhao.unit == world.unit_b  # an existing unit, referred to by name
    assert set(RoleAssignment.objects.filter(person=zhao).values_list("unit__name", flat=True)) == {"宣传部", "网信组"}
    entry = AuditEntry.objects.filter(action=AuditAction.IMPORT).first()
    assert entry.changes["people_created"] == 4 and entry.actor_id == world.admin.pk
    assert account.password not in str(entry.changes)


def test_new_account_logs_in_and_must_change_password(world):
    summary = import_org_chart(xlsx(GOOD), acting_user=world.admin)
    account = summary.accounts[0]
    client = Client()
    assert client.post("/accounts/login/", {"username": account.username, "password": account.password}).status_code == 302
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"


def test_reimport_is_idempotent(world):
    import_org_chart(xlsx(GOOD), acting_user=world.admin)
    counts = (Unit.objects.count(), Person.objects.count(), RoleAssignment.objects.count(), User.objects.count())
    summary = import_org_chart(xlsx(GOOD), acting_user=world.admin)
    assert (summary.units_created, summary.units_updated, summary.people_created, summary.people_updated) == (0, 0, 0, 0)
    assert summary.roles_added == 0 and summary.accounts == []
    assert counts == (Unit.objects.count(), Person.objects.count(), RoleAssignment.objects.count(), User.objects.count())


def test_reimport_updates_by_code_and_employee_number(world):
    import_org_chart(xlsx(GOOD), acting_user=world.admin)
    changed = [cols(单位名称="宣传教育部", 上级单位="测试机关", 单位编码="XC", 姓名="张三", 职务="部长（兼）", 工号="2001")]
    summary = import_org_chart(xlsx(changed), acting_user=world.admin)
    assert summary.units_updated == 1 and summary.people_updated == 1
    assert Unit.objects.get(code="XC").name == "宣传教育部"
    assert Person.objects.get(employee_no="2001").title == "部长（兼）"


def test_csv_utf8_bom_and_gb18030(world):
    rows = [cols(单位名称="档案科", 上级单位="测试机关", 姓名="钱七", 工号="3001")]
    import_org_chart(csv_file(rows, "utf-8-sig"), acting_user=world.admin)
    assert Person.objects.filter(name="钱七", unit__name="档案科").exists()
    rows = [cols(单位名称="保密科", 上级单位="测试机关", 姓名="孙八", 工号="3002")]
    import_org_chart(csv_file(rows, "gb18030"), acting_user=world.admin)
    assert Person.objects.filter(name="孙八", unit__name="保密科").exists()


def test_every_row_error_is_reported_and_nothing_written(world):
    before = (Unit.objects.count(), Person.objects.count(), User.objects.count())
    bad = [
        cols(单位名称="甲科", 上级单位="测试机关", 单位类型="小组", 姓名="甲"),                 # row 2: type
        cols(单位名称="乙科", 上级单位="不存在的单位", 姓名="乙"),                          # row 3: parent
        cols(单位名称="丙科", 上级单位="测试机关", 姓名="丙", 邮箱="not-an-email"),         # row 4: email
        cols(单位名称="丁科", 上级单位="测试机关", 姓名="丁", 角色="宣传委员"),             # row 5: role
        cols(单位名称="戊科", 上级单位="测试机关", 姓名="戊", 登录账号="dup"),              # row 6
        cols(单位名称="戊科", 姓名="己", 登录账号="dup"),                                   # row 7: dup account
        cols(单位名称="环一", 上级单位="环二"),                                             # row 8: cycle
        cols(单位名称="环二", 上级单位="环一"),                                             # row 9: cycle
        cols(单位名称="庚科", 上级单位="测试机关", 姓名="庚", 登录账号="staff_a"),          # row 10: taken
        cols(单位名称="", 姓名="无单位"),                                                   # row 11
    ]
    with pytest.raises(ImportRejected) as caught:
        import_org_chart(xlsx(bad), acting_user=world.admin)
    messages = [str(e) for e in caught.value.errors]
    text = "\n".join(messages)
    assert "第 2 行：单位类型“小组”无法识别" in text
    assert "第 3 行：找不到单位“不存在的单位”" in text
    assert "第 4 行：邮箱“not-an-email”格式不正确" in text
    assert "第 5 行：角色“宣传委员”无法识别" in text
    assert "第 7 行：登录账号“dup”与第 6 行重复" in text
    assert "第 8 行：上级单位形成循环" in text and "第 9 行：上级单位形成循环" in text
    assert "第 10 行：登录账号“staff_a”对应的人员是“宣传科员”" in text
    assert "第 11 行：单位名称不能为空" in text
    assert {e.column for e in caught.value.errors} >= {"单位类型", "上级单位", "邮箱", "角色", "登录账号", "单位名称"}
    assert before == (Unit.objects.count(), Person.objects.count(), User.objects.count())
    rejected = AuditEntry.objects.get(action=AuditAction.IMPORT_REJECTED)
    assert rejected.changes["error_count"] == len(messages)


def test_cycle_through_existing_units_is_refused(world):
    # 测试机关 (the existing root, named by its code) moved under 宣传科, its own child.
    with pytest.raises(ImportRejected) as caught:
        import_org_chart(xlsx([cols(单位名称="测试机关", 单位编码="T0", 上级单位="宣传科")]), acting_user=world.admin)
    assert "循环" in str(caught.value.errors[0])
    assert Unit.objects.get(pk=world.root.pk).parent_id is None


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("org.csv", b"", content_type="text/csv"), "文件为空"),
        (SimpleUploadedFile("org.csv", "\ufeff单位名称,姓名\r\n".encode(), content_type="text/csv"), "没有数据行"),
        (SimpleUploadedFile("org.txt", b"abc", content_type="text/plain"), "不支持的文件类型"),
        (SimpleUploadedFile("org.xlsx", b"not a zip file at all", content_type="application/zip"), "文件内容与扩展名不符"),
        (SimpleUploadedFile("org.csv", b"name,unit\r\nx,y\r\n", content_type="text/csv"), "无法识别的列"),
        (SimpleUploadedFile("org.csv", "姓名,职务\r\n张三,科长\r\n".encode(), content_type="text/csv"), "缺少必需的列：单位名称"),
        (SimpleUploadedFile("org.csv", b"\xff\xfe\x00\x00bad", content_type="text/csv"), "文件内容不是文本"),
    ],
    ids=["empty", "header-only", "wrong-type", "fake-xlsx", "wrong-header", "missing-column", "binary"],
)
def test_file_level_faults(world, upload, message):
    with pytest.raises(ImportRejected) as caught:
        import_org_chart(upload, acting_user=world.admin)
    assert message in str(caught.value.errors[0])
    assert AuditEntry.objects.filter(action=AuditAction.IMPORT_REJECTED).count() == 1


def test_undecodable_csv(world):
    data = ",".join(COLUMNS).encode("utf-8") + b"\r\n\x81\x30\x81\xff,x\r\n"  # invalid in both encodings
    with pytest.raises(ImportRejected) as caught:
        import_org_chart(SimpleUploadedFile("org.csv", data), acting_user=world.admin)
    assert "编码" in str(caught.value.errors[0])


def test_rejection_audit_survives_a_rollback_during_the_write(world, monkeypatch):
    """A conflict found only while writing rolls everything back, but the rejection stays logged."""
    from django.db import IntegrityError

    import org.importers as importers

    def failing_write(validator, summary):
        Unit.objects.create(name="半途单位", parent=world.root)
        raise IntegrityError("simulated race")

    monkeypatch.setattr(importers, "_write", failing_write)
    with pytest.raises(ImportRejected):
        import_org_chart(xlsx(GOOD), acting_user=world.admin)
    assert not Unit.objects.filter(name="半途单位").exists()
    assert AuditEntry.objects.filter(action=AuditAction.IMPORT_REJECTED).exists()
    assert not AuditEntry.objects.filter(object_repr="半途单位").exists()


# --- through the page -------------------------------------------------------------------------------


def test_import_page_shows_row_errors_in_chinese(world, login):
    client = login(world.admin)
    bad = [cols(单位名称="新科", 上级单位="测试机关", 姓名="某人", 邮箱="bad@")]
    response = client.post("/org/import/", {"file": xlsx(bad)})
    body = response.content.decode()
    assert response.status_code == 200
    assert "未导入" in body and "第 2 行" in body and "邮箱“bad@”格式不正确" in body
    assert not Unit.objects.filter(name="新科").exists()


def test_import_page_success_shows_temporary_passwords_once(world, login):
    client = login(world.admin)
    response = client.post("/org/import/", {"file": xlsx(GOOD)})
    body = response.content.decode()
    assert "导入成功" in body and "zhangsan" in body and "只显示这一次" in body
    again = client.get("/org/import/").content.decode()
    assert "zhangsan" not in again


@override_settings(YISHI_UPLOAD_MAX_BYTES=2048)
def test_oversized_upload_is_refused_in_chinese(world, login):
    client = login(world.admin)
    big = SimpleUploadedFile("org.csv", ",".join(COLUMNS).encode() + b"\r\n" + b"x" * 5000, content_type="text/csv")
    response = client.post("/org/import/", {"file": big})
    assert "文件过大" in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.IMPORT_REJECTED).exists()


def test_non_admin_cannot_import_and_is_logged(world, login):
    client = login(world.head_a)
    assert client.get("/org/import/").status_code == 403
    response = client.post("/org/import/", {"file": xlsx(GOOD)})
    assert response.status_code == 403
    assert not Unit.objects.filter(code="XC").exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, actor=world.head_a).exists()
