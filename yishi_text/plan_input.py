"""Bytes → text for plan files: encodings, .docx (with Word's automatic numbering), refusals.

Offices send plans as UTF-8 or GB18030 text (Windows Notepad, WPS exports), or as Word files whose
一、/1. numbering Word generates itself (it is in numbering.xml, not in the paragraph text). Anything
else is refused with a message a clerk can act on ("请另存为.docx").
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from yishi_text.cn_numbers import CIRCLED, int_to_cn

MAX_BYTES = 5 * 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

# Magic numbers of formats offices often upload by mistake.
_REFUSED_MAGIC = (
    (b"%PDF", "PDF文件无法直接读取，请上传Word（.docx）或文本（.txt）版本"),
    (b"\xd0\xcf\x11\xe0", "这是旧版Word/WPS/Excel文件（.doc/.wps/.xls），请另存为.docx后再上传"),
    (b"{\\rtf", "RTF文件暂不支持，请另存为.docx或.txt后再上传"),
    (b"\x89PNG", "这是图片文件，不是工作要点文本"),
    (b"\xff\xd8\xff", "这是图片文件，不是工作要点文本"),
    (b"GIF8", "这是图片文件，不是工作要点文本"),
    (b"Rar!", "这是压缩包，请解压后上传其中的工作要点文件"),
    (b"\x1f\x8b", "这是压缩包，请解压后上传其中的工作要点文件"),
    (b"7z\xbc\xaf", "这是压缩包，请解压后上传其中的工作要点文件"),
)


class PlanReadError(ValueError):
    """The input is not a readable plan; the message (Chinese) says why and what to do."""


@dataclass
class PlanSource:
    text: str
    warnings: list[str] = field(default_factory=list)


def read_source(data: bytes, filename: str = "") -> PlanSource:
    """Decode `data` into plan text plus warnings about what could not be carried over."""
    if len(data) > MAX_BYTES:
        raise PlanReadError(f"文件过大（{len(data) / 1024 / 1024:.1f} MB），工作要点文件不应超过5 MB")
    if not data.strip():
        raise PlanReadError("文件为空，没有可读取的内容")
    for magic, message in _REFUSED_MAGIC:
        if data.startswith(magic):
            raise PlanReadError(message)
    if data.startswith(b"PK\x03\x04"):
        return _read_zip(data)
    if filename.lower().endswith((".docx", ".doc", ".wps", ".pdf", ".xlsx", ".xls")):
        raise PlanReadError(f"文件名为“{filename}”，但内容不是有效的Word（.docx）文件，请重新导出后上传")
    return _decode_text(data)


def _decode_text(data: bytes) -> PlanSource:
    """UTF-16 with a BOM, else UTF-8 (BOM or not), else GB18030 (which covers GBK and GB2312)."""
    warnings: list[str] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")  # Notepad's "Unicode"; the BOM gives the byte order
    elif b"\x00" in data:
        raise PlanReadError("文件含有二进制内容，不是文本或Word文件，无法读取")
    else:
        text = _decode_8bit(data, warnings)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    if controls > max(2, len(text) // 200):
        raise PlanReadError("文件含有大量控制字符，似乎是二进制文件，无法作为工作要点读取")
    return PlanSource(text, warnings)


def _decode_8bit(data: bytes, warnings: list[str]) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # A file cut off inside a character is still UTF-8: keep it rather than misread it as GB18030.
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            warnings.append("文件末尾有不完整的字符，已去除（文件可能被截断）")
            return data[: exc.start].decode("utf-8-sig")
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise PlanReadError("无法识别文件编码（支持UTF-8和GB18030/GBK），请另存为UTF-8文本后再上传") from exc


def _read_zip(data: bytes) -> PlanSource:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise PlanReadError("Word文件已损坏，无法打开，请重新保存后上传") from exc
    if "word/document.xml" not in names:
        if any(name.startswith("xl/") for name in names):
            raise PlanReadError("这是Excel表格，请上传工作要点的Word（.docx）或文本（.txt）文件")
        raise PlanReadError("这是压缩包或其他Office文件，不是Word（.docx）文件")
    return read_docx(data)


# ---------------------------------------------------------------- .docx


def read_docx(data: bytes) -> PlanSource:
    """Paragraphs in order, one per line, with Word's automatic numbering written back in."""
    import docx  # python-docx; imported here so text-only callers never load lxml

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several types for damaged packages
        raise PlanReadError("Word文件无法打开（可能已损坏或加密），请重新保存为.docx后上传") from exc
    numbering = _Numbering(document)
    lines: list[str] = []
    tables = 0
    for block in document.iter_inner_content():
        if not hasattr(block, "text"):  # a table: 任务分工表 and the like
            tables += 1
            continue
        text = block.text
        prefix = numbering.prefix(block) if text.strip() else ""
        lines.append(prefix + text)
    warnings = []
    if numbering.unresolved:
        warnings.append(f"有{numbering.unresolved}段使用了Word自动编号但无法还原编号，请核对这些段落的层级")
    if tables:
        warnings.append(f"文档含{tables}个表格，表格内容未解析（如有任务分工表，请在导入后手工核对）")
    return PlanSource("\n".join(lines), warnings)


class _Numbering:
    """Rebuilds "一、" / "1." / "（一）" prefixes from numbering.xml, counting like Word does.

    Counters are kept per list (numId) and level; a level restarts when a higher level advances.
    """

    def __init__(self, document: object) -> None:
        self.unresolved = 0
        self._levels: dict[tuple[str, int], tuple[int, str, str]] = {}  # (numId, ilvl) → start, fmt, text
        self._counters: dict[str, dict[int, int]] = {}
        self._styles: dict[str, tuple[str, int]] = {}
        try:
            root = document.part.numbering_part.element  # type: ignore[attr-defined]
        except (KeyError, NotImplementedError, AttributeError):
            root = None
        if root is not None:
            self._load(root)
        self._load_styles(document)

    def _load(self, root: object) -> None:
        abstract = {}
        for node in root.iter(f"{_W}abstractNum"):  # type: ignore[attr-defined]
            levels = {}
            for lvl in node.iter(f"{_W}lvl"):
                levels[int(lvl.get(f"{_W}ilvl", "0"))] = (
                    int(_val(lvl, "start") or 1), _val(lvl, "numFmt") or "decimal", _val(lvl, "lvlText") or "")
            abstract[node.get(f"{_W}abstractNumId")] = levels
        for num in root.iter(f"{_W}num"):  # type: ignore[attr-defined]
            abstract_id = _val(num, "abstractNumId")
            for ilvl, level in abstract.get(abstract_id, {}).items():
                self._levels[(num.get(f"{_W}numId"), ilvl)] = level

    def _load_styles(self, document: object) -> None:
        """Heading styles often carry the numbering themselves (样式 "标题 1" → 一、)."""
        try:
            styles = document.styles.element  # type: ignore[attr-defined]
        except AttributeError:
            return
        for style in styles.iter(f"{_W}style"):
            num_pr = style.find(f"{_W}pPr/{_W}numPr")
            if num_pr is not None:
                num_id = _val(num_pr, "numId")
                if num_id:
                    self._styles[style.get(f"{_W}styleId")] = (num_id, int(_val(num_pr, "ilvl") or 0))

    def prefix(self, paragraph: object) -> str:
        num_id, ilvl = self._num_of(paragraph)
        if num_id is None or num_id == "0":
            return ""
        level = self._levels.get((num_id, ilvl))
        if level is None:
            self.unresolved += 1
            return ""
        counters = self._counters.setdefault(num_id, {})
        start, fmt, template = level
        counters[ilvl] = counters.get(ilvl, start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        if fmt in ("bullet", "none"):
            return ""

        def render(match: re.Match[str]) -> str:
            lvl = int(match.group(1)) - 1
            lvl_start, lvl_fmt, _ = self._levels.get((num_id, lvl), (1, "decimal", ""))
            return _format(counters.get(lvl, lvl_start), lvl_fmt)

        return re.sub(r"%(\d)", render, template)

    def _num_of(self, paragraph: object) -> tuple[str | None, int]:
        p_pr = paragraph._p.pPr  # type: ignore[attr-defined]
        num_pr = p_pr.find(f"{_W}numPr") if p_pr is not None else None
        if num_pr is not None:
            return _val(num_pr, "numId"), int(_val(num_pr, "ilvl") or 0)
        style = p_pr.find(f"{_W}pStyle") if p_pr is not None else None
        style_id = style.get(f"{_W}val") if style is not None else None
        return self._styles.get(style_id or "", (None, 0))


def _val(node: object, tag: str) -> str | None:
    child = node.find(f"{_W}{tag}")  # type: ignore[attr-defined]
    return None if child is None else child.get(f"{_W}val")


def _format(value: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "ideographTraditional",
               "taiwaneseCounting", "taiwaneseCountingThousand", "japaneseCounting"):
        return int_to_cn(value)
    if fmt.startswith("decimalEnclosedCircle") and 1 <= value <= len(CIRCLED):
        return CIRCLED[value - 1]
    if fmt == "decimalFullWidth":
        return "".join(chr(ord(d) + 0xFEE0) for d in str(value))
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (value - 1) % 26)
        return letter.upper() if fmt == "upperLetter" else letter
    return str(value)


def iter_lines(text: str) -> Iterator[str]:
    """Lines of a text whatever its line endings (\\r\\n, \\r, Word's vertical tab and form feed)."""
    yield from re.split(r"\r\n|[\r\n\v\f\u2028\u2029\x85]", text)
