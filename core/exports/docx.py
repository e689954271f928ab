"""Word documents in the GB/T 9704-2012 official-document (公文) layout, with python-docx.

    doc = OfficialDocument()
    doc.title("关于2026年意识形态工作要点落实情况的报告")
    doc.addressee("市委宣传部：")
    doc.heading(1, "总体情况")            # → 一、总体情况 (黑体)
    doc.heading(2, "学习教育")            # → （一）学习教育 (楷体)
    doc.paragraph("……")                   # 仿宋 3号, first line indented 2 characters
    doc.table(["序号", "事项", "完成时限"], rows)
    doc.signature("中共某某局党组", datetime.date(2026, 1, 5))
    return docx_response("落实情况报告.docx", doc.to_bytes())

Layout (GB/T 9704-2012 §5, §7):

- A4 210×297 mm; margins top 37, bottom 35, left (binding side) 28, right 26 mm, i.e. a 156×225 mm
  版心.
- 22 lines × 28 characters per page: the section's document grid is type "linesAndChars" with the
  line pitch and character spacing computed from the margins in twips, the way Word computes them
  in its 页面设置 → 文档网格 dialog (579 twips = 28.95 pt per line; charSpace -842 with 16 pt body
  text). Body paragraphs also use an exact 28.95 pt line spacing, so renderers that ignore the grid
  (ONLYOFFICE and some converters do) still set 22 lines.
- LibreOffice gives each CJK character whole grid cells (a 16 pt glyph in Word's 15.79 pt cell took
  two, so its PDFs showed 14 widely spaced characters per line): text on the grid is set at 98 %
  width, and the title is taken off the grid, so LibreOffice also sets 28 × 22 (see LO_CELL_TWIPS).
- Title 2号 (22 pt) 方正小标宋简体, centred; body 3号 (16 pt) 仿宋_GB2312, first line indented two
  characters; headings 一、 黑体, （一） 楷体_GB2312, 1. 仿宋 bold, （1） 仿宋, all 3号.
- Page numbers "— 1 —" in 4号 半角 宋体 digits from a PAGE field, as the standard says: odd pages
  on the right, even pages on the left, one character in from the edge (odd/even footers are turned
  on in the settings). `page_numbers="center"` centres them on every page instead.

Fonts: python-docx's `font.name` only sets the Latin slots (w:ascii/w:hAnsi); Chinese text uses the
East Asian slot, so every run sets `w:eastAsia` in its rFonts as well. The real font names are kept
(users open the file in Word or WPS, where they exist); the font table adds an alternative name for
each (仿宋_GB2312 → 仿宋 …) because current Windows ships 仿宋/楷体 without the _GB2312 suffix.

PDF previews: `docx_to_pdf(data)` converts with headless LibreOffice; core/exports/fonts.conf maps the
公文 font names to the installed Noto CJK fonts for that conversion only.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from django.http import HttpResponse
from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, Twips
from lxml import etree

from core.exports import DOCX_CONTENT_TYPE, attachment_response

# --- GB/T 9704-2012 geometry ------------------------------------------------------------------------

PAGE_WIDTH_MM = 210
PAGE_HEIGHT_MM = 297
MARGIN_TOP_MM = 37
MARGIN_BOTTOM_MM = 35
MARGIN_LEFT_MM = 28  # 订口
MARGIN_RIGHT_MM = 26
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28

TITLE_PT = 22  # 2号
BODY_PT = 16  # 3号
PAGE_NUMBER_PT = 14  # 4号
TABLE_PT = 12  # 小四: ledgers in reports have many columns; not prescribed by the standard


def _twips(mm: float) -> int:
    return round(mm * 1440 / 25.4)


# Word stores the margins in whole twips and derives the grid from them; doing the same gives the
# values Word itself would write for "22 lines, 28 characters".
TEXT_WIDTH_TWIPS = _twips(PAGE_WIDTH_MM) - _twips(MARGIN_LEFT_MM) - _twips(MARGIN_RIGHT_MM)  # 8845
TEXT_HEIGHT_TWIPS = _twips(PAGE_HEIGHT_MM) - _twips(MARGIN_TOP_MM) - _twips(MARGIN_BOTTOM_MM)  # 12756
LINE_PITCH_TWIPS = TEXT_HEIGHT_TWIPS // LINES_PER_PAGE  # 579 = 28.95 pt
# charSpace: how much each character cell differs from the body font size, in 1/4096 pt.
CHAR_SPACE = math.floor((TEXT_WIDTH_TWIPS / 20 / CHARS_PER_LINE - BODY_PT) * 4096)  # -842
CHAR_PITCH_PT = BODY_PT + CHAR_SPACE / 4096  # 15.79 pt

# LibreOffice reads the same grid but lays it out differently from Word (checked with 7.4):
# - it decodes charSpace as whole points (the high bits) plus a fraction truncated to whole twips, so
#   its grid cell is 315 twips = 15.75 pt, a little narrower than Word's 15.79 pt;
# - instead of adding charSpace to every character as Word does, it gives each CJK character as many
#   whole cells as its advance needs. A 16 pt glyph in a 15.75 pt cell takes two cells, so a line
#   held 14 characters with a gap after each, and a 31.6 pt (2-character) indent took three cells.
# Runs on the grid are therefore set at 98 % width (16 pt × 0.98 = 15.68 pt fits one cell). Under the
# OOXML grid rules Word and WPS still add charSpace to each (slightly narrower) character, so they keep
# 28 characters per line (29 × 15.47 pt > 442 pt); the glyphs differ from 100 % by 0.3 pt. Absolute
# indents are one twip per character short of whole LibreOffice cells; Word and WPS use the *Chars
# attributes.
LO_CELL_TWIPS = BODY_PT * 20 + (CHAR_SPACE >> 12) * 20 + (CHAR_SPACE & 0xFFF) * 20 // 0xFFF  # 315
GRID_CHAR_SCALE = min(100, math.floor(100 * LO_CELL_TWIPS / (BODY_PT * 20)))  # 98 %
INDENT_CHAR_TWIPS = LO_CELL_TWIPS - 1  # 314 twips = 15.7 pt

# The dash line of the page number sits 7 mm below the 版心 (§7.5): the footer's bottom edge is
# about half a 4号 line below that.
FOOTER_DISTANCE_MM = MARGIN_BOTTOM_MM - 7 - (PAGE_NUMBER_PT * 25.4 / 72) / 2  # ≈ 25.5


@dataclass(frozen=True)
class OfficialFonts:
    """Font names per role. `latin`, when set, goes into the Latin slots (some offices use Times New
    Roman for digits and letters); by default each run uses its Chinese font for Latin text too."""

    title: str = "方正小标宋简体"
    body: str = "仿宋_GB2312"
    heading1: str = "黑体"
    heading2: str = "楷体_GB2312"
    page_number: str = "宋体"
    latin: str | None = None


# Alternative names Word and WPS fall back to when the preferred font is not installed.
FONT_FALLBACKS: dict[str, str] = {
    "方正小标宋简体": "华文中宋",
    "方正小标宋_GBK": "华文中宋",
    "仿宋_GB2312": "仿宋",
    "楷体_GB2312": "楷体",
    "黑体": "SimHei",
    "宋体": "SimSun",
}

# --- small XML helpers --------------------------------------------------------------------------------

_PPR_AFTER_SNAP = (
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)
_RPR_AFTER_LANG = ("w:eastAsianLayout", "w:specVanish", "w:oMath")
_RPR_AFTER_W = (
    "w:kern",
    "w:position",
    "w:sz",
    "w:szCs",
    "w:highlight",
    "w:u",
    "w:effect",
    "w:bdr",
    "w:shd",
    "w:fitText",
    "w:vertAlign",
    "w:rtl",
    "w:cs",
    "w:em",
    "w:lang",
    *_RPR_AFTER_LANG,
)


def _set_fonts(rpr: Any, east_asia: str, latin: str | None = None) -> None:
    """Set all four font slots of an rPr; theme references are removed since they would win."""
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    latin = latin or east_asia
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:hint"), "eastAsia")


def _set_size(rpr: Any, pt: float) -> None:
    half_points = str(round(pt * 2))
    rpr.get_or_add_sz().set(qn("w:val"), half_points)
    size_cs = rpr.find(qn("w:szCs"))
    if size_cs is None:
        size_cs = parse_xml(f'<w:szCs {nsdecls("w")} w:val="{half_points}"/>')
        rpr.get_or_add_sz().addnext(size_cs)
    else:
        size_cs.set(qn("w:val"), half_points)


def _set_scale(rpr: Any, percent: int) -> None:
    """Character width in percent (w:w, Word's 字符缩放)."""
    scale = rpr.find(qn("w:w"))
    if scale is None:
        scale = parse_xml(f"<w:w {nsdecls('w')}/>")
        rpr.insert_element_before(scale, *_RPR_AFTER_W)
    scale.set(qn("w:val"), str(percent))


def _set_lang(rpr: Any) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = parse_xml(f"<w:lang {nsdecls('w')}/>")
        rpr.insert_element_before(lang, *_RPR_AFTER_LANG)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _no_grid(paragraph: Any) -> None:
    """Take a paragraph off the document grid (title, tables, footers: they must not snap to 28.95 pt
    lines, and LibreOffice would spread characters larger than the 15.75 pt cell over two cells)."""
    ppr = paragraph._p.get_or_add_pPr()
    if ppr.find(qn("w:snapToGrid")) is None:
        ppr.insert_element_before(parse_xml(f'<w:snapToGrid {nsdecls("w")} w:val="0"/>'), *_PPR_AFTER_SNAP)


def _indent_chars(paragraph: Any, *, first_line: int = 0, right: int = 0, left: int = 0) -> None:
    """Indents in characters. Word and WPS use the *Chars attributes (they follow the grid); the twips
    values are for renderers that only know absolute indents. LibreOffice rounds an indent up to whole
    grid cells, so the twips value stays just below n of its 15.75 pt cells."""
    fmt = paragraph.paragraph_format
    if first_line:
        fmt.first_line_indent = Twips(round(INDENT_CHAR_TWIPS * first_line))
    if right:
        fmt.right_indent = Twips(round(INDENT_CHAR_TWIPS * right))
    if left:
        fmt.left_indent = Twips(round(INDENT_CHAR_TWIPS * left))
    ind = paragraph._p.get_or_add_pPr().get_or_add_ind()
    if first_line:
        ind.set(qn("w:firstLineChars"), str(first_line * 100))
    if right:
        ind.set(qn("w:rightChars"), str(round(right * 100)))
    if left:
        ind.set(qn("w:leftChars"), str(round(left * 100)))


def text_width_chars(text: str) -> float:
    """Width in body characters: a Chinese character is 1, a half-width digit or letter 0.5."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.5 for ch in text)


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九 (heading numbers go no higher)."""
    digits = "零一二三四五六七八九"
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return digits[ones]
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def format_chinese_date(value: datetime.date | str) -> str:
    """2026-01-05 → 2026年1月5日 (GB/T 9704 §7.3.5: full year, no zero padding)."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, datetime.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{format_chinese_date(local.date())} {local:%H:%M}"
    if isinstance(value, datetime.date):
        return format_chinese_date(value)
    return str(value)


_NUMBERED = re.compile(r"^\s*([一二三四五六七八九十百]+、|（[一二三四五六七八九十百]+）|\d+[.．]|（\d+）)")


# --- the builder --------------------------------------------------------------------------------------


class OfficialDocument:
    """Builds one .docx in the official-document layout; call the methods in reading order."""

    def __init__(
        self,
        *,
        fonts: OfficialFonts | None = None,
        page_numbers: Literal["odd_even", "center", "none"] = "odd_even",
        title: str = "",
        author: str = "",
    ) -> None:
        self.fonts = fonts or OfficialFonts()
        self.document = Document()
        self._counters = [0, 0, 0, 0]
        self._setup_styles()
        self._setup_section()
        self._setup_font_table()
        if page_numbers != "none":
            self._setup_page_numbers(page_numbers)
        props = self.document.core_properties
        props.title = title
        props.author = author or "意识 Yishi"
        props.last_modified_by = props.author
        props.comments = ""
        props.created = props.modified = timezone.now().replace(microsecond=0, tzinfo=None)
        props.language = "zh-CN"
        # The template starts with one empty paragraph; drop it so the document starts with our text.
        body = self.document.element.body
        for p in list(body.iterchildren(qn("w:p"))):
            body.remove(p)

    # --- setup -----------------------------------------------------------------------------------

    def _setup_styles(self) -> None:
        styles = self.document.styles.element
        defaults = styles.find(qn("w:docDefaults"))
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        _set_fonts(rpr, self.fonts.body, self.fonts.latin)
        _set_size(rpr, BODY_PT)
        _set_lang(rpr)
        ppr_default = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
        spacing = ppr_default.find(qn("w:spacing"))
        spacing.attrib.clear()
        spacing.set(qn("w:after"), "0")
        spacing.set(qn("w:line"), str(LINE_PITCH_TWIPS))
        spacing.set(qn("w:lineRule"), "exact")

        normal = self.document.styles["Normal"]
        _set_fonts(normal.element.get_or_add_rPr(), self.fonts.body, self.fonts.latin)
        _set_size(normal.element.get_or_add_rPr(), BODY_PT)
        fmt = normal.paragraph_format
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Twips(LINE_PITCH_TWIPS)
        fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        fmt.widow_control = False  # 公文 fill every line of the grid; widow control would leave gaps

        settings = self.document.settings.element
        theme_lang = settings.find(qn("w:themeFontLang"))
        if theme_lang is not None:
            theme_lang.set(qn("w:eastAsia"), "zh-CN")

    def _setup_section(self) -> None:
        section = self.document.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width = Mm(PAGE_WIDTH_MM)
        section.page_height = Mm(PAGE_HEIGHT_MM)
        section.top_margin = Mm(MARGIN_TOP_MM)
        section.bottom_margin = Mm(MARGIN_BOTTOM_MM)
        section.left_margin = Mm(MARGIN_LEFT_MM)
        section.right_margin = Mm(MARGIN_RIGHT_MM)
        section.gutter = Mm(0)
        section.header_distance = Mm(15)
        section.footer_distance = Mm(FOOTER_DISTANCE_MM)
        sect_pr = section._sectPr
        grid = sect_pr.find(qn("w:docGrid"))
        if grid is None:
            grid = parse_xml(f"<w:docGrid {nsdecls('w')}/>")
            sect_pr.append(grid)
        grid.attrib.clear()
        grid.set(qn("w:type"), "linesAndChars")
        grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))
        grid.set(qn("w:charSpace"), str(CHAR_SPACE))

    def _setup_font_table(self) -> None:
        part = next(
            (rel.target_part for rel in self.document.part.rels.values() if rel.reltype == RT.FONT_TABLE),
            None,
        )
        if part is None:  # pragma: no cover - the default template has one
            return
        root = parse_xml(part.blob)
        known = {el.get(qn("w:name")) for el in root.iterchildren(qn("w:font"))}
        wanted = [
            self.fonts.title,
            self.fonts.body,
            self.fonts.heading1,
            self.fonts.heading2,
            self.fonts.page_number,
        ]
        for name in dict.fromkeys(wanted):
            if name in known:
                continue
            alt = FONT_FALLBACKS.get(name)
            alt_xml = f'<w:altName w:val="{alt}"/>' if alt else ""
            root.append(
                parse_xml(
                    f'<w:font {nsdecls("w")} w:name="{name}">{alt_xml}<w:charset w:val="86"/>'
                    '<w:family w:val="auto"/><w:pitch w:val="variable"/></w:font>'
                )
            )
        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    def _setup_page_numbers(self, mode: str) -> None:
        section = self.document.sections[0]
        if mode == "odd_even":
            self.document.settings.odd_and_even_pages_header_footer = True
            self._page_number_footer(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
            self._page_number_footer(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)
        else:
            self._page_number_footer(section.footer, WD_ALIGN_PARAGRAPH.CENTER)

    def _page_number_footer(self, footer: Any, align: WD_ALIGN_PARAGRAPH) -> None:
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        paragraph.alignment = align
        fmt = paragraph.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        fmt.first_line_indent = Pt(0)
        # "居右空一字 / 居左空一字": one 4号 character from the edge of the 版心.
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            fmt.right_indent = Pt(PAGE_NUMBER_PT)
        elif align == WD_ALIGN_PARAGRAPH.LEFT:
            fmt.left_indent = Pt(PAGE_NUMBER_PT)
        _no_grid(paragraph)

        def run(text: str = "") -> Any:
            r = paragraph.add_run(text)
            rpr = r._r.get_or_add_rPr()
            # 半角宋体 digits: the Latin slots must be 宋体 too, whatever `latin` says for the body.
            _set_fonts(rpr, self.fonts.page_number, self.fonts.page_number)
            _set_size(rpr, PAGE_NUMBER_PT)
            return r

        run("— ")
        for xml in (
            f'<w:fldChar {nsdecls("w")} w:fldCharType="begin"/>',
            f'<w:instrText {nsdecls("w")} xml:space="preserve"> PAGE </w:instrText>',
            f'<w:fldChar {nsdecls("w")} w:fldCharType="separate"/>',
        ):
            run()._r.append(parse_xml(xml))
        run("1")  # the cached result; Word and LibreOffice recompute it per page
        run()._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="end"/>'))
        run(" —")

    # --- content ---------------------------------------------------------------------------------

    def _run(
        self, paragraph: Any, text: str, font: str, size: float, *, bold: bool = False, on_grid: bool = True
    ) -> Any:
        """A run; `on_grid` runs (body-size text in paragraphs on the document grid) are set at
        GRID_CHAR_SCALE width so LibreOffice gives each character one grid cell, as Word does."""
        lines = text.split("\n")
        run = paragraph.add_run(lines[0])
        for line in lines[1:]:
            run.add_break(WD_BREAK.LINE)
            run.add_text(line)
        rpr = run._r.get_or_add_rPr()
        _set_fonts(rpr, font, self.fonts.latin)
        _set_size(rpr, size)
        if on_grid and GRID_CHAR_SCALE < 100:
            _set_scale(rpr, GRID_CHAR_SCALE)
        if bold:
            run.bold = True
        return run

    def _paragraph(self, *, align: WD_ALIGN_PARAGRAPH | None = None) -> Any:
        paragraph = self.document.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        return paragraph

    def title(self, text: str, *, blank_line_after: bool = True) -> Any:
        """The title: 2号 小标宋, centred; break long titles with "\\n" into a trapezoid or diamond."""
        paragraph = self._paragraph(align=WD_ALIGN_PARAGRAPH.CENTER)
        paragraph.paragraph_format.keep_with_next = True
        # Off the grid: Word would only take 0.2 pt off each 22 pt character, LibreOffice would give
        # each one two 15.75 pt cells. The exact 28.95 pt line spacing still holds the title lines.
        _no_grid(paragraph)
        self._run(paragraph, text, self.fonts.title, TITLE_PT, on_grid=False)
        if not self.document.core_properties.title:
            self.document.core_properties.title = text.replace("\n", "")
        if blank_line_after:
            self.blank_line()
        return paragraph

    def addressee(self, text: str) -> Any:
        """主送机关: flush left, below the title, ending with a full-width colon."""
        text = text.rstrip(":：") + "："
        paragraph = self._paragraph(align=WD_ALIGN_PARAGRAPH.LEFT)
        self._run(paragraph, text, self.fonts.body, BODY_PT)
        return paragraph

    def heading(self, level: int, text: str, *, number: bool = True) -> Any:
        """A heading of level 1–4: 一、(黑体) （一）(楷体) 1.(仿宋 bold) （1）(仿宋).

        The number is added and counted automatically (lower levels restart under a new higher one)
        unless `number` is False or the text already starts with one.
        """
        if level not in (1, 2, 3, 4):
            raise ValueError("标题层级应为 1–4")
        text = text.strip()
        if number and not _NUMBERED.match(text):
            self._counters[level - 1] += 1
            for lower in range(level, 4):
                self._counters[lower] = 0
            n = self._counters[level - 1]
            prefix = {1: f"{chinese_number(n)}、", 2: f"（{chinese_number(n)}）", 3: f"{n}.", 4: f"（{n}）"}[
                level
            ]
            text = prefix + text
        font = {1: self.fonts.heading1, 2: self.fonts.heading2, 3: self.fonts.body, 4: self.fonts.body}[level]
        paragraph = self._paragraph(align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        paragraph.paragraph_format.keep_with_next = True
        _indent_chars(paragraph, first_line=2)
        paragraph._p.get_or_add_pPr().get_or_add_outlineLvl().set(qn("w:val"), str(level - 1))
        self._run(paragraph, text, font, BODY_PT, bold=(level == 3))
        return paragraph

    def paragraph(self, text: str, *, indent: bool = True, align: WD_ALIGN_PARAGRAPH | None = None) -> Any:
        """Body text, 3号 仿宋, first line indented 2 characters. Each line of `text` becomes its own
        paragraph (text pasted from a form keeps its paragraphs). Returns the last paragraph."""
        paragraph = None
        for line in (text or "").splitlines() or [""]:
            paragraph = self._paragraph(align=align or WD_ALIGN_PARAGRAPH.JUSTIFY)
            if indent:
                _indent_chars(paragraph, first_line=2)
            self._run(paragraph, line.strip(), self.fonts.body, BODY_PT)
        return paragraph

    def blank_line(self) -> Any:
        return self._paragraph()

    def page_break(self) -> None:
        self._paragraph().add_run().add_break(WD_BREAK.PAGE)

    def table(
        self,
        headers: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        widths_mm: Sequence[float] | None = None,
        font_size: float = TABLE_PT,
    ) -> Any:
        """A bordered table as wide as the 版心; the header row repeats on every page.

        Cells are taken off the document grid and set single-spaced at `font_size` (小四 by default),
        otherwise every cell line would snap to the 28.95 pt body line.
        """
        ncols = len(headers)
        if not ncols:
            raise ValueError("表格至少需要一列")
        if widths_mm is None:
            widths_mm = [(PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM) / ncols] * ncols
        if len(widths_mm) != ncols:
            raise ValueError("列宽个数与表头不一致")
        table = self.document.add_table(rows=1, cols=ncols)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        tbl_pr = table._tbl.tblPr
        borders = "".join(
            f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
            for side in ("top", "left", "bottom", "right", "insideH", "insideV")
        )
        # Schema order matters to Word (tblW, jc, …, tblBorders, shd, tblLayout, tblCellMar, tblLook).
        tbl_pr.insert_element_before(
            parse_xml(f"<w:tblBorders {nsdecls('w')}>{borders}</w:tblBorders>"),
            "w:shd",
            "w:tblLayout",
            "w:tblCellMar",
            "w:tblLook",
            "w:tblCaption",
            "w:tblDescription",
            "w:tblPrChange",
        )
        tbl_w = tbl_pr.find(qn("w:tblW"))
        if tbl_w is not None:
            tbl_w.set(qn("w:type"), "dxa")
            tbl_w.set(qn("w:w"), str(sum(_twips(w) for w in widths_mm)))
        for column, width in zip(table.columns, widths_mm, strict=True):
            column.width = Mm(width)

        def fill(cells: Any, values: Sequence[Any], *, header: bool) -> None:
            for cell, width, value in zip(cells, widths_mm, values, strict=False):
                cell.width = Mm(width)
                paragraph = cell.paragraphs[0]
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if header else WD_ALIGN_PARAGRAPH.LEFT
                fmt = paragraph.paragraph_format
                fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
                fmt.first_line_indent = Pt(0)
                _no_grid(paragraph)
                self._run(
                    paragraph, _cell_text(value), self.fonts.body, font_size, bold=header, on_grid=False
                )

        header_row = table.rows[0]
        header_row._tr.get_or_add_trPr().append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))
        fill(header_row.cells, headers, header=True)
        for values in rows:
            values = list(values)[:ncols]
            fill(table.add_row().cells, values + [None] * (ncols - len(values)), header=False)
        return table

    def signature(self, org: str, date: datetime.date | str, *, blank_lines: int = 1) -> None:
        """发文机关署名 and 成文日期 (§7.3.5): the date right-indented 4 characters, the organ's name
        centred over the date."""
        for _ in range(blank_lines):
            self.blank_line()
        date_text = format_chinese_date(date)
        offset = 4 + (text_width_chars(date_text) - text_width_chars(org)) / 2
        org_paragraph = self._paragraph(align=WD_ALIGN_PARAGRAPH.RIGHT)
        org_paragraph.paragraph_format.keep_with_next = True  # never leave the date alone on a page
        _indent_chars(org_paragraph, right=max(0.0, offset))
        self._run(org_paragraph, org, self.fonts.body, BODY_PT)
        date_paragraph = self._paragraph(align=WD_ALIGN_PARAGRAPH.RIGHT)
        _indent_chars(date_paragraph, right=4)
        self._run(date_paragraph, date_text, self.fonts.body, BODY_PT)
        # Right-aligned single lines need no character grid; off it, LibreOffice no longer pads each
        # run of digits ("2026", "1", "5") to whole grid cells. The exact line spacing still holds.
        _no_grid(org_paragraph)
        _no_grid(date_paragraph)

    # --- output ----------------------------------------------------------------------------------

    def save(self, target: IO[bytes] | str) -> None:
        self.document.save(target)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.save(buffer)
        return buffer.getvalue()


def docx_response(filename: str, data: bytes) -> HttpResponse:
    """Download response for a .docx; the Chinese file name survives (RFC 5987 filename*)."""
    if not filename.lower().endswith(".docx"):
        filename += ".docx"
    return attachment_response(filename, data, DOCX_CONTENT_TYPE)


# --- PDF previews with LibreOffice --------------------------------------------------------------------

FONTCONFIG_FILE = Path(__file__).with_name("fonts.conf")
PDF_TIMEOUT_SECONDS = 120


class PdfConversionError(RuntimeError):
    """The server could not turn a .docx into a PDF; the message is Chinese and safe to show."""


def find_soffice() -> str | None:
    """Path of LibreOffice's `soffice` (Debian: libreoffice-writer-nogui), or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(data: bytes, *, timeout: float = PDF_TIMEOUT_SECONDS) -> bytes:
    """Convert .docx bytes to PDF bytes with headless LibreOffice, for previews and layout checks.

    Each call runs its own LibreOffice with a throw-away profile in a temporary directory, so calls
    never wait on each other's profile lock, and FONTCONFIG_FILE points at core/exports/fonts.conf,
    which maps the 公文 font names to installed Noto CJK fonts. Takes about 2 s per document. Raises
    PdfConversionError when LibreOffice is missing, fails or runs longer than `timeout` seconds (its
    whole process group is then killed).
    """
    soffice = find_soffice()
    if soffice is None:
        raise PdfConversionError(
            "服务器未安装 LibreOffice（找不到 soffice 命令），无法生成 PDF 预览。"
            "请管理员安装 libreoffice-writer-nogui 和 fonts-noto-cjk。"
        )
    with tempfile.TemporaryDirectory(prefix="yishi-pdf-") as tmp:
        workdir = Path(tmp)
        source = workdir / "document.docx"
        source.write_bytes(data)
        outdir = workdir / "out"
        env = dict(os.environ)
        env["FONTCONFIG_FILE"] = str(FONTCONFIG_FILE)
        if not os.access(env.get("HOME") or "/nonexistent", os.W_OK):
            env["HOME"] = str(workdir)  # e.g. a service account without a home directory
        command = [
            soffice,
            f"-env:UserInstallation={(workdir / 'profile').as_uri()}",
            "--headless",
            "--invisible",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            "--norestore",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(outdir),
            str(source),
        ]
        # soffice is a shell script that starts oosplash, which starts soffice.bin: run them in their
        # own session so a timeout can kill all of them.
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=workdir,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):  # it may have ended just now
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise PdfConversionError(f"LibreOffice 转换 PDF 超时（超过 {timeout:g} 秒），已中止。") from None
        pdf = outdir / "document.pdf"
        if process.returncode != 0 or not pdf.is_file():
            detail = (stderr or stdout).decode(errors="replace").strip()[-500:]
            raise PdfConversionError(
                f"LibreOffice 转换 PDF 失败（退出码 {process.returncode}）"
                + (f"：{detail}" if detail else "。")
            )
        return pdf.read_bytes()
