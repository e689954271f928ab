"""The export layer, read back: .xlsx with openpyxl, .docx with python-docx (and LibreOffice when present)."""

from __future__ import annotations

import datetime
import io
import re
import shutil
import subprocess
import sys
import zipfile
import zoneinfo
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Emu

from core.exports import content_disposition
from core.exports import docx as official
from core.exports.docx import OfficialDocument, chinese_number, docx_response, format_chinese_date
from core.exports.xlsx import Column, build_ledger, xlsx_response

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")

# --- xlsx -------------------------------------------------------------------------------------------

COLUMNS = [
    Column("序号", 8, "number"),
    Column("工作事项", 40),
    Column("完成时限", 14, "date"),
    Column("更新时间", 18, "datetime"),
    Column("完成率", 10, "percent"),
]


def _ledger_rows() -> list[tuple]:
    return [
        (
            1,
            "开展意识形态工作专题学习",
            datetime.date(2026, 3, 31),
            datetime.datetime(2026, 1, 5, 1, 30, tzinfo=datetime.UTC),
            0.5,
        ),
        (2, '=HYPERLINK("http://evil")', datetime.datetime(2026, 6, 30, 9, 0), None, 1),
        (3, "含控制字符\x07的文本", None, datetime.date(2026, 2, 1), None),
    ]


def _load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def test_ledger_layout_reads_back():
    ws = _load(build_ledger("2026年工作台账", COLUMNS, _ledger_rows(), sheet_title="台账"))
    assert ws.title == "台账"
    assert ws["A1"].value == "2026年工作台账" and ws["A1"].font.b
    assert "A1:E1" in {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[2]] == ["序号", "工作事项", "完成时限", "更新时间", "完成率"]
    header = ws["B2"]
    assert header.font.b and header.fill.fgColor.rgb.endswith("D9E1F2")
    assert header.border.bottom.style == "thin" and ws["B3"].border.left.style == "thin"
    assert header.font.name == "宋体"
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:E5"
    assert ws.column_dimensions["A"].width == 8
    assert ws.column_dimensions["B"].width == 40
    assert ws.column_dimensions["C"].width == 14
    assert ws.print_title_rows == "$2:$2"
    assert ws.page_setup.orientation == "landscape"


def test_ledger_cell_values_and_formats():
    ws = _load(build_ledger("台账", COLUMNS, _ledger_rows()))
    assert ws["C3"].value == datetime.datetime(2026, 3, 31) and ws["C3"].number_format == "yyyy-mm-dd"
    assert ws["C4"].value == datetime.datetime(2026, 6, 30) and ws["C4"].number_format == "yyyy-mm-dd"
    # An aware moment is written as Beijing wall-clock time (Excel has no time zones).
    assert ws["D3"].value == datetime.datetime(2026, 1, 5, 9, 30)
    assert ws["D3"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["D5"].value == datetime.datetime(2026, 2, 1, 0, 0)
    assert ws["E3"].value == 0.5 and ws["E3"].number_format == "0.0%"
    # User text that looks like a formula stays text; control characters are dropped.
    assert ws["B4"].value == '=HYPERLINK("http://evil")' and ws["B4"].data_type == "s"
    assert ws["B5"].value == "含控制字符的文本"
    assert ws["C5"].value is None
    assert ws["B3"].alignment.wrap_text


def test_ledger_with_subtitle_and_many_rows():
    rows = (
        (i, f"事项{i}", datetime.date(2026, 1, 1) + datetime.timedelta(days=i % 300), None, i / 20000)
        for i in range(20000)
    )
    ws = _load(build_ledger("大台账", COLUMNS, rows, subtitle="填报单位：宣传科　导出时间：2026-01-05"))
    assert ws["A2"].value.startswith("填报单位") and "A2:E2" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A3"].value == "序号"
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:E20003"
    assert ws["B20003"].value == "事项19999"


def test_ledger_width_defaults_to_header():
    ws = _load(build_ledger("t", [Column("一个很长的列标题"), Column("x")], []))
    assert ws.column_dimensions["A"].width == 20  # 8 wide characters × 2 + 4
    assert ws.column_dimensions["B"].width == 8
    assert ws.auto_filter.ref == "A2:B2"


def test_xlsx_response_keeps_the_chinese_file_name():
    response = xlsx_response("审计日志 2026.xlsx", b"PK")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert 'filename="2026.xlsx"' in disposition
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "审计日志 2026.xlsx"
    assert all(ord(ch) < 128 for ch in disposition)
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Cache-Control"] == "no-store, private"


def test_content_disposition_strips_paths_and_quotes():
    header = content_disposition('../../etc/"pass"wd\r\n.docx')
    assert "\r" not in header and "\n" not in header and "/" not in unquote(header.split("''")[1])
    assert header.count('"') == 2


# --- docx -------------------------------------------------------------------------------------------


def _sample_document() -> OfficialDocument:
    doc = OfficialDocument()
    doc.title("关于2026年意识形态工作\n落实情况的报告")
    doc.addressee("市委宣传部")
    doc.heading(1, "总体情况")
    doc.paragraph("今年以来，我局认真贯彻落实意识形态工作责任制。" * 4)
    doc.heading(2, "学习教育")
    doc.heading(3, "中心组学习")
    doc.heading(4, "第一议题")
    doc.paragraph("第一段。\n第二段。")
    doc.heading(1, "主要做法")
    doc.table(
        ["序号", "事项", "责任单位", "完成时限"],
        [(1, "专题学习", "宣传科", datetime.date(2026, 3, 31)), (2, "舆情研判", "信息科", None)],
        widths_mm=[15, 81, 30, 30],
    )
    # No punctuation: every full line of this paragraph holds exactly 28 Han characters.
    doc.paragraph("党的创新理论武装头脑指导实践推动工作" * 8)
    for _ in range(30):
        doc.paragraph("这是用于撑满多页的正文内容。" * 5)
    doc.signature("中共测试机关党组", datetime.date(2026, 1, 5))
    return doc


def _east_asia(run) -> str:
    return run._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


@pytest.fixture(scope="module")
def sample_docx() -> bytes:
    return _sample_document().to_bytes()


def test_page_geometry_is_gb_t_9704(sample_docx):
    section = Document(io.BytesIO(sample_docx)).sections[0]
    for value, expected in (
        (section.page_width.mm, 210),
        (section.page_height.mm, 297),
        (section.top_margin.mm, 37),
        (section.bottom_margin.mm, 35),
        (section.left_margin.mm, 28),
        (section.right_margin.mm, 26),
    ):
        assert value == pytest.approx(expected, abs=0.1)
    core_width = section.page_width.mm - section.left_margin.mm - section.right_margin.mm
    core_height = section.page_height.mm - section.top_margin.mm - section.bottom_margin.mm
    assert core_width == pytest.approx(156, abs=0.1) and core_height == pytest.approx(225, abs=0.1)


def test_document_grid_gives_22_lines_of_28_characters(sample_docx):
    section = Document(io.BytesIO(sample_docx)).sections[0]
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    pitch, space = int(grid.get(qn("w:linePitch"))), int(grid.get(qn("w:charSpace")))
    assert pitch == 579 and space == official.CHAR_SPACE == -842
    text_height_pt = Emu(section.page_height - section.top_margin - section.bottom_margin).pt
    text_width_pt = Emu(section.page_width - section.left_margin - section.right_margin).pt
    assert 22 * pitch / 20 <= text_height_pt < 23 * pitch / 20
    char_pitch = 16 + space / 4096
    assert 28 * char_pitch <= text_width_pt + 0.05 and 29 * char_pitch > text_width_pt


def test_fonts_sizes_and_indents(sample_docx):
    document = Document(io.BytesIO(sample_docx))
    paragraphs = [p for p in document.paragraphs if p.text]
    title = paragraphs[0]
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert title.runs[0].font.size.pt == 22 and _east_asia(title.runs[0]) == "方正小标宋简体"
    assert "落实情况的报告" in title.text
    addressee = paragraphs[1]
    assert addressee.text == "市委宣传部：" and addressee.paragraph_format.first_line_indent is None

    by_text = {p.text: p for p in paragraphs}
    h1, h2, h3, h4 = (
        by_text["一、总体情况"],
        by_text["（一）学习教育"],
        by_text["1.中心组学习"],
        by_text["（1）第一议题"],
    )
    assert _east_asia(h1.runs[0]) == "黑体" and h1.runs[0].font.size.pt == 16
    assert _east_asia(h2.runs[0]) == "楷体_GB2312"
    assert _east_asia(h3.runs[0]) == "仿宋_GB2312" and h3.runs[0].bold
    assert _east_asia(h4.runs[0]) == "仿宋_GB2312" and not h4.runs[0].bold
    assert "二、主要做法" in by_text  # numbering continues at level 1
    assert h1._p.pPr.find(qn("w:outlineLvl")).get(qn("w:val")) == "0"

    body = by_text["第一段。"]
    run = body.runs[0]
    assert run.font.size.pt == 16 and _east_asia(run) == "仿宋_GB2312"
    fonts = run._r.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:ascii")) == "仿宋_GB2312" and fonts.get(qn("w:hAnsi")) == "仿宋_GB2312"
    assert body._p.pPr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"
    # The absolute value (for renderers without the *Chars attributes) stays below two LibreOffice
    # grid cells, which LibreOffice would otherwise round up to three.
    assert body.paragraph_format.first_line_indent.twips == 2 * official.INDENT_CHAR_TWIPS == 628
    assert body.paragraph_format.first_line_indent.pt == pytest.approx(2 * official.CHAR_PITCH_PT, abs=0.3)
    assert "第二段。" in by_text

    normal = document.styles["Normal"]
    assert normal.font.size.pt == 16
    assert normal.paragraph_format.line_spacing.pt == pytest.approx(28.95, abs=0.01)
    assert normal.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_grid_text_fits_libreoffice_cells(sample_docx):
    """LibreOffice gives a CJK character as many whole grid cells as its advance needs; its cell is
    315 twips (charSpace −842 decoded as −1 pt + 15 twips), so text on the grid is set at 98 % width
    and the title, whose 22 pt characters would take two cells each, is off the grid."""
    assert official.LO_CELL_TWIPS == 315 and official.GRID_CHAR_SCALE == 98
    assert official.BODY_PT * 20 * official.GRID_CHAR_SCALE / 100 <= official.LO_CELL_TWIPS
    # Word adds charSpace to each 98 % character: 28 still fit a line, 29 do not.
    advance = official.BODY_PT * official.GRID_CHAR_SCALE / 100 + official.CHAR_SPACE / 4096
    assert 28 * advance <= official.TEXT_WIDTH_TWIPS / 20 < 29 * advance

    document = Document(io.BytesIO(sample_docx))
    by_text = {p.text: p for p in document.paragraphs if p.text}

    def scale(run) -> str | None:
        element = run._r.rPr.find(qn("w:w"))
        return None if element is None else element.get(qn("w:val"))

    def snaps(paragraph) -> bool:
        element = paragraph._p.pPr.find(qn("w:snapToGrid"))
        return element is None or element.get(qn("w:val")) not in ("0", "false")

    for text in ("市委宣传部：", "一、总体情况", "（一）学习教育", "第一段。"):
        paragraph = by_text[text]
        assert snaps(paragraph) and all(scale(run) == "98" for run in paragraph.runs), text
    # The right-aligned signature lines need no character grid (LibreOffice would pad the digits).
    for text in ("中共测试机关党组", "2026年1月5日"):
        paragraph = by_text[text]
        assert not snaps(paragraph) and all(scale(run) == "98" for run in paragraph.runs), text
    title = next(p for p in document.paragraphs if "落实情况的报告" in p.text)
    assert not snaps(title) and scale(title.runs[0]) is None
    cell = document.tables[0].rows[1].cells[1].paragraphs[0]
    assert not snaps(cell) and scale(cell.runs[0]) is None
    rpr = by_text["第一段。"].runs[0]._r.rPr
    assert [child.tag.split("}")[1] for child in rpr] == ["rFonts", "w", "sz", "szCs"]  # schema order


def test_page_numbers_in_footer(sample_docx):
    document = Document(io.BytesIO(sample_docx))
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    odd, even = section.footer.paragraphs[0], section.even_page_footer.paragraphs[0]
    assert odd.alignment == WD_ALIGN_PARAGRAPH.RIGHT and even.alignment == WD_ALIGN_PARAGRAPH.LEFT
    for paragraph in (odd, even):
        xml = paragraph._p.xml
        assert "PAGE" in "".join(t.text for t in paragraph._p.iter(qn("w:instrText")))
        assert xml.count('w:fldCharType="begin"') == 1 and 'w:fldCharType="end"' in xml
        assert paragraph.text.startswith("— ") and paragraph.text.endswith(" —")
        for run in paragraph.runs:
            assert run.font.size.pt == 14 and _east_asia(run) == "宋体"
    assert section.footer_distance.mm == pytest.approx(official.FOOTER_DISTANCE_MM, abs=0.1)


def test_centred_page_numbers_option():
    document = Document(io.BytesIO(OfficialDocument(page_numbers="center").to_bytes()))
    assert not document.settings.odd_and_even_pages_header_footer
    assert document.sections[0].footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_table_and_signature(sample_docx):
    document = Document(io.BytesIO(sample_docx))
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["序号", "事项", "责任单位", "完成时限"]
    assert table.rows[1].cells[3].text == "2026年3月31日"
    assert table.rows[2].cells[3].text == ""
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert {child.tag.split("}")[1] for child in borders} >= {"top", "bottom", "insideH", "insideV"}
    assert all(child.get(qn("w:val")) == "single" for child in borders)
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert table.rows[0].cells[0].paragraphs[0].runs[0].bold
    assert table.rows[1].cells[0].paragraphs[0].runs[0].font.size.pt == 12

    org, day = document.paragraphs[-2], document.paragraphs[-1]
    assert org.text == "中共测试机关党组" and day.text == "2026年1月5日"
    assert org.alignment == day.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert day._p.pPr.find(qn("w:ind")).get(qn("w:rightChars")) == "400"
    # The organ's name (8 characters) is centred over the date (6 characters wide: half-width
    # digits count half): 4 − (8 − 6) / 2 = 3 characters from the right.
    assert org._p.pPr.find(qn("w:ind")).get(qn("w:rightChars")) == "300"


def test_font_table_names_fallbacks(sample_docx):
    with zipfile.ZipFile(io.BytesIO(sample_docx)) as archive:
        fonts = archive.read("word/fontTable.xml").decode()
        styles = archive.read("word/styles.xml").decode()
    assert 'w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in fonts
    assert 'w:name="方正小标宋简体"><w:altName w:val="华文中宋"/>' in fonts
    assert "eastAsiaTheme" not in styles.split("</w:docDefaults>")[0]  # a theme font would win


def test_helpers():
    assert [chinese_number(n) for n in (1, 9, 10, 11, 20, 35, 99)] == [
        "一",
        "九",
        "十",
        "十一",
        "二十",
        "三十五",
        "九十九",
    ]
    assert format_chinese_date(datetime.date(2026, 1, 5)) == "2026年1月5日"
    assert format_chinese_date(datetime.datetime(2026, 1, 4, 20, 0, tzinfo=datetime.UTC)) == "2026年1月5日"
    response = docx_response("报告", b"PK")
    assert response["Content-Type"].endswith("wordprocessingml.document")
    assert unquote(response["Content-Disposition"].split("''")[1]) == "报告.docx"


# --- PDF (LibreOffice + poppler-utils) ---------------------------------------------------------------

_POPPLER = ("pdfinfo", "pdftotext", "pdffonts")
needs_pdf_tools = pytest.mark.skipif(
    official.find_soffice() is None or any(shutil.which(tool) is None for tool in _POPPLER),
    reason="LibreOffice 或 poppler-utils 未安装（apt install libreoffice-writer-nogui poppler-utils fonts-noto-cjk）",
)
_PAGE_NUMBER = re.compile(r"^\s*—\s*\d+\s*—\s*$")


def _poppler(tool: str, pdf: Path, *args: str) -> str:
    return subprocess.run(
        [tool, *args, str(pdf), *(["-"] if tool == "pdftotext" else [])],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout


def _han(line: str) -> int:
    return sum(1 for ch in line if "\u4e00" <= ch <= "\u9fff")


@pytest.fixture(scope="module")
def sample_pdf(sample_docx, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "报告.pdf"
    path.write_bytes(official.docx_to_pdf(sample_docx))
    return path


@needs_pdf_tools
def test_pdf_pages_are_a4(sample_pdf: Path):
    assert sample_pdf.read_bytes().startswith(b"%PDF")
    info = _poppler("pdfinfo", sample_pdf)
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert pages >= 4  # the sample is a multi-page document
    sizes = re.findall(
        r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts",
        _poppler("pdfinfo", sample_pdf, "-f", "1", "-l", str(pages)),
        re.M,
    )
    assert len(sizes) == pages
    for width, height in sizes:  # A4 = 595.3 × 841.9 pt
        assert float(width) == pytest.approx(595.3, abs=0.5)
        assert float(height) == pytest.approx(841.9, abs=0.5)


@needs_pdf_tools
def test_pdf_has_28_characters_per_line_and_22_lines_per_page(sample_pdf: Path):
    """LibreOffice lays the grid out like Word: at most 28 Han characters on a body line (a full
    line of plain text has 28), at most 22 body lines a page, and full pages have exactly 22."""
    pages = _poppler("pdftotext", sample_pdf, "-layout").split("\f")[:-1]
    assert len(pages) >= 4
    per_page = []
    for page in pages:
        lines = [line for line in page.splitlines() if line.strip()]
        assert _PAGE_NUMBER.match(lines[-1]), lines[-1]  # "— n —" in the footer
        body = [line for line in lines if not _PAGE_NUMBER.match(line)]
        per_page.append(len(body))
        assert max(_han(line) for line in body) <= 28
    assert max(per_page) == 22 and per_page.count(22) >= 3, per_page
    widest = max(_han(line) for page in pages for line in page.splitlines())
    assert 26 <= widest <= 28
    # The paragraph without punctuation (144 characters): 26 after the two-character indent, then 28.
    plain = set("党的创新理论武装头脑指导实践推动工作")
    counts = [
        _han(line)
        for page in pages
        for line in page.splitlines()
        if line.strip() and set(line.strip()) <= plain
    ]
    assert counts == [26, 28, 28, 28, 28, 6], counts


@needs_pdf_tools
def test_pdf_embeds_the_substitute_fonts(sample_pdf: Path):
    rows = _poppler("pdffonts", sample_pdf).splitlines()[2:]
    assert rows
    names = [row.split()[0] for row in rows]
    assert all(row.split()[-5] == "yes" for row in rows), rows  # the "emb" column
    # fonts.conf maps 仿宋_GB2312/宋体/小标宋 to Noto Serif CJK and 黑体 to Noto Sans CJK; nothing falls
    # back to the generic default (DejaVu) as it does without the mapping.
    assert any("NotoSerifCJK" in name for name in names) and any("NotoSansCJK" in name for name in names)
    assert not any("DejaVu" in name for name in names), names


def test_docx_to_pdf_without_libreoffice(monkeypatch):
    monkeypatch.setattr(official, "find_soffice", lambda: None)
    with pytest.raises(official.PdfConversionError, match="未安装 LibreOffice"):
        official.docx_to_pdf(b"PK")


def _fake_soffice(tmp_path: Path, body: str) -> str:
    script = tmp_path / "soffice"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return str(script)


def test_docx_to_pdf_reports_failures(monkeypatch, tmp_path: Path):
    soffice = _fake_soffice(tmp_path, 'echo "Error: source file could not be loaded" >&2; exit 1')
    monkeypatch.setattr(official, "find_soffice", lambda: soffice)
    with pytest.raises(official.PdfConversionError, match="转换 PDF 失败.*could not be loaded"):
        official.docx_to_pdf(b"PK")


def test_docx_to_pdf_times_out_and_passes_the_font_config(monkeypatch, tmp_path: Path):
    seen = tmp_path / "env"
    sleep = f"{sys.executable} -c 'import time; time.sleep(30)'"
    soffice = _fake_soffice(tmp_path, f'echo "$FONTCONFIG_FILE" > {seen}; {sleep} & wait')
    monkeypatch.setattr(official, "find_soffice", lambda: soffice)
    with pytest.raises(official.PdfConversionError, match="超时"):
        official.docx_to_pdf(b"PK", timeout=1)
    assert Path(seen.read_text().strip()) == official.FONTCONFIG_FILE and official.FONTCONFIG_FILE.is_file()
