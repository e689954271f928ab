"""Reading plan files: encodings, .docx (typed and Word-generated numbering) and refusals."""

from __future__ import annotations

import io
import os
import zipfile

import docx
import pytest
from docx.oxml import parse_xml

from yishi_text.plan_input import MAX_BYTES
from yishi_text.plans import PlanReadError, parse_plan_file, parse_plan_text, read_plan_bytes

from .paths import FIXTURES

PLAN = "市审计局2026年意识形态工作要点\n一、加强理论学习，提高政治站位\n1.落实学习制度。局党组每月集中学习一次。\n"
W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_text_encodings(encoding):
    assert read_plan_bytes(PLAN.encode(encoding), "plan.txt") == PLAN


def test_crlf_and_bom_are_normalised():
    plan = parse_plan_file(("\ufeff" + PLAN).replace("\n", "\r\n").encode("utf-8"), "plan.txt")
    assert plan.title == "市审计局2026年意识形态工作要点"
    assert plan.items[0].text == "局党组每月集中学习一次。"


def test_utf8_cut_inside_a_character_is_still_utf8():
    data = (PLAN + "2.加强宣传。每季度").encode("utf-8")[:-2]
    plan = parse_plan_file(data, "plan.txt")
    assert plan.organization == "市审计局"
    assert any("不完整的字符" in w for w in plan.warnings)


def test_gb18030_fixture_file_is_detected():
    data = (FIXTURES / "2026-县医保局-GB18030.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert read_plan_bytes(data, "x.txt").startswith("县医疗保障局二〇二六年意识形态工作要点")


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(("data", "message"), [
    (b"", "为空"),
    (b"  \r\n\t\n", "为空"),
    (b"\x00\x01\x02binary\x00\xff" * 50, "二进制"),
    (bytes(range(1, 32)) * 40, "控制字符"),
    (b"%PDF-1.7\n...", "PDF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".docx"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "图片"),
])
def test_unreadable_input_is_refused_in_chinese(data, message):
    with pytest.raises(PlanReadError, match=message):
        read_plan_bytes(data, "upload.bin")


def test_huge_input_is_refused():
    with pytest.raises(PlanReadError, match="5 MB"):
        read_plan_bytes(b"a" * (MAX_BYTES + 1), "big.txt")


def test_huge_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.txt"
    with path.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    with pytest.raises(PlanReadError, match="5 MB"):
        parse_plan_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(PlanReadError, match="找不到文件"):
        parse_plan_file(tmp_path / "none.txt")


def test_text_named_docx_is_refused():
    with pytest.raises(PlanReadError, match="不是有效的Word"):
        read_plan_bytes(PLAN.encode(), "plan.docx")


def test_excel_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(PlanReadError, match="Excel"):
        read_plan_bytes(buffer.getvalue(), "plan.xlsx")


@pytest.mark.parametrize("text", [
    "今天召开会议，研究部署全年工作。会议要求，各单位要认真抓好落实。",
    "",
])
def test_text_without_numbered_items_is_refused(text):
    with pytest.raises(PlanReadError):
        parse_plan_text(text)


def test_a_notice_is_not_a_plan():
    with pytest.raises(PlanReadError, match="没有找到编号条目"):
        parse_plan_file(FIXTURES / "会议通知-非要点.txt")


def test_paths_as_str_and_pathlike(tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text(PLAN, encoding="gb18030")
    assert parse_plan_file(str(path)).title == parse_plan_file(path).title == "市审计局2026年意识形态工作要点"
    assert parse_plan_file(os.fspath(path)).items[0].obligations[0].frequency == "monthly"


# ---------------------------------------------------------------- .docx


def docx_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def add_list(document, num_id: str, levels: list[tuple[str, str]]) -> None:
    """Define Word numbering `num_id` with (numFmt, lvlText) per level, as Word/WPS write it."""
    root = document.part.numbering_part.element
    lvls = "".join(f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl>'
                   for i, (fmt, text) in enumerate(levels))
    abstract = parse_xml(f'<w:abstractNum {W_NS} w:abstractNumId="{num_id}">{lvls}</w:abstractNum>')
    first_num = root.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}num")
    if first_num is not None:
        first_num.addprevious(abstract)  # the schema wants every abstractNum before the nums
    else:
        root.append(abstract)
    root.append(parse_xml(f'<w:num {W_NS} w:numId="{num_id}"><w:abstractNumId w:val="{num_id}"/></w:num>'))


def numbered(document, text: str, num_id: str, level: int):
    paragraph = document.add_paragraph(text)
    paragraph._p.get_or_add_pPr().append(
        parse_xml(f'<w:numPr {W_NS}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'))
    return paragraph


def test_docx_with_typed_numbering():
    document = docx.Document()
    for line in PLAN.strip().split("\n"):
        document.add_paragraph(line)
    document.add_paragraph("2.加强宣传。每季度开展一次宣讲，全年不少于4场。")
    plan = parse_plan_file(docx_bytes(document), "市审计局.docx")
    assert (plan.organization, len(plan.items)) == ("市审计局", 2)
    assert [(o.frequency, o.times) for o in plan.items[1].obligations] == [("quarterly", 1), ("yearly", 4)]


def test_docx_with_word_generated_numbering():
    document = docx.Document()
    add_list(document, "91", [("chineseCounting", "%1、"), ("decimal", "%2.")])
    document.add_paragraph("区档案馆2026年意识形态工作要点")
    document.add_paragraph("2026年，区档案馆坚持以习近平新时代中国特色社会主义思想为指导。")
    numbered(document, "加强理论学习，提高政治站位", "91", 0)
    numbered(document, "落实中心组学习制度。馆党支部每月开展1次集中学习。", "91", 1)
    numbered(document, "加强展陈阵地管理。每季度开展一次展厅讲解词审核。", "91", 1)
    numbered(document, "压实工作责任", "91", 0)
    numbered(document, "落实责任制。每半年专题研究一次意识形态工作。", "91", 1)  # Word restarts level 2 here
    data = docx_bytes(document)
    text = read_plan_bytes(data, "plan.docx")
    assert "一、加强理论学习，提高政治站位" in text and "二、压实工作责任" in text
    assert "2.加强展陈阵地管理" in text and "1.落实责任制" in text
    plan = parse_plan_file(data, "plan.docx")
    assert [s.title for s in plan.sections] == ["加强理论学习", "压实工作责任"]
    assert [i.number for i in plan.items] == [1, 2, 3]
    assert plan.items[0].obligations[0].actor == "馆党支部"
    assert plan.warnings == []


def test_docx_paren_and_circled_formats():
    document = docx.Document()
    add_list(document, "92", [("chineseCounting", "（%1）"), ("decimalEnclosedCircle", "%2")])
    numbered(document, "甲", "92", 0)
    numbered(document, "乙", "92", 1)
    numbered(document, "丙", "92", 1)
    numbered(document, "丁", "92", 0)
    assert read_plan_bytes(docx_bytes(document), "x.docx").split("\n") == ["（一）甲", "①乙", "②丙", "（二）丁"]


def test_docx_unresolvable_numbering_and_tables_are_warned():
    document = docx.Document()
    document.add_paragraph("区档案馆2026年意识形态工作要点")
    document.add_paragraph("一、加强学习")
    document.add_paragraph("1.落实学习制度。每月学习一次。")
    numbered(document, "这一段引用了不存在的编号定义。", "4242", 0)
    document.add_table(rows=2, cols=3)
    plan = parse_plan_file(docx_bytes(document), "plan.docx")
    assert any("自动编号" in w for w in plan.warnings)
    assert any("表格" in w for w in plan.warnings)
    assert "这一段引用了不存在的编号定义。" in plan.items[0].text


def test_damaged_docx_is_refused():
    data = docx_bytes(docx.Document())
    with pytest.raises(PlanReadError):
        read_plan_bytes(data[: len(data) // 2], "plan.docx")


def test_docx_numbering_carried_by_heading_styles():
    document = docx.Document()
    add_list(document, "93", [("chineseCounting", "%1、"), ("decimal", "%2.")])
    for style_name, level in (("Heading 1", 0), ("Heading 2", 1)):
        style = document.styles[style_name].element
        style.get_or_add_pPr().append(
            parse_xml(f'<w:numPr {W_NS}><w:ilvl w:val="{level}"/><w:numId w:val="93"/></w:numPr>'))
    document.add_paragraph("区档案馆2026年意识形态工作要点")
    document.add_heading("加强理论学习", level=1)
    document.add_heading("落实学习制度", level=2)
    document.add_paragraph("馆党支部每月开展1次集中学习。")
    document.add_heading("加强阵地管理", level=2)
    document.add_paragraph("每季度开展一次展厅讲解词审核。")
    plan = parse_plan_file(docx_bytes(document), "plan.docx")
    assert [s.title for s in plan.sections] == ["加强理论学习"]
    assert [(i.title, i.text) for i in plan.items] == [("落实学习制度", "馆党支部每月开展1次集中学习。"),
                                                      ("加强阵地管理", "每季度开展一次展厅讲解词审核。")]
