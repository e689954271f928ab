"""The org-chart import in a real browser: a bad row is reported and nothing is written; fixed, it imports."""

from __future__ import annotations

import io

import openpyxl
import pytest

from org.importers import COLUMNS
from org.models import Person, Unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def chart(email: str) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "组织机构"
    sheet.append(list(COLUMNS))
    values = {
        "单位名称": "法规科", "上级单位": "测试机关", "单位类型": "科室", "单位编码": "FG",
        "姓名": "周法规", "职务": "科长", "邮箱": email, "工号": "9001", "登录账号": "zhoufg", "角色": "科室负责人",
    }
    sheet.append([values.get(c, "") for c in COLUMNS])
    sheet.append([{"单位名称": "法规科", "姓名": "吴科员", "职务": "科员"}.get(c, "") for c in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_admin_imports_after_fixing_a_bad_row(world, new_page, browser_login, live_server):
    page = browser_login(new_page(), world.admin)
    page.goto(f"{live_server.url}/org/import/")
    assert page.locator("#download-template").is_visible()

    page.set_input_files("#id_file", files=[{"name": "组织机构.xlsx", "mimeType": XLSX, "buffer": chart("zhou@")}])
    page.click("#import-submit")
    errors = page.locator("#import-errors")
    errors.wait_for()
    assert "没有写入任何数据" in errors.inner_text()
    row = errors.locator("tr[data-row='2']")
    assert "第 2 行" in row.inner_text() and "邮箱“zhou@”格式不正确" in row.inner_text()
    assert not Unit.objects.filter(code="FG").exists()
    assert not Person.objects.filter(name__in=["周法规", "吴科员"]).exists()

    page.set_input_files("#id_file", files=[{"name": "组织机构.xlsx", "mimeType": XLSX,
                                             "buffer": chart("zhou@example.gov.cn")}])
    page.click("#import-submit")
    summary = page.locator("#import-summary")
    summary.wait_for()
    assert "导入成功" in summary.inner_text()
    assert page.locator("#import-errors").count() == 0
    assert "zhoufg" in page.locator("#new-accounts").inner_text()
    assert Unit.objects.get(code="FG").parent == world.root
    assert Person.objects.filter(unit__code="FG").count() == 2

    page.goto(f"{live_server.url}/org/units/{Unit.objects.get(code='FG').pk}/")
    assert "周法规" in page.locator("#unit-people").inner_text()
