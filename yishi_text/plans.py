"""Reading an organ's annual plan (意识形态工作要点) into sections, items and obligations.

    plan = parse_plan_file("2026-市委组织部.txt")      # or parse_plan_file(data, "plan.docx")
    plan = parse_plan_text(pasted_text)
    plan.to_dict()  # {"title", "organization", "year", "preamble", "warnings", "sections": […]}

The pipeline: bytes → text (plan_input: encodings, .docx numbering), text → classified lines
(plan_lines: numbering styles, the title, noise), lines → sections and items with any leading outline
merged (plan_structure), item text → obligations and targets (obligations). Whatever the parser is
unsure of becomes a warning (Chinese) in `Plan.warnings`; nothing is dropped silently. The genre rules
and known limits are in docs/plan-parser.md.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from yishi_text.cn_numbers import parse_cn_int
from yishi_text.obligations import Obligation, Target, analyse, extract_obligations
from yishi_text.plan_input import MAX_BYTES, PlanReadError, read_source
from yishi_text.plan_lines import TITLE_WORDS_RE, CleanResult, clean_lines, short_title
from yishi_text.plan_structure import RawItem, RawSection, Structure, build

__all__ = ["Item", "Plan", "PlanReadError", "Section", "parse_plan_file", "parse_plan_text", "read_plan_bytes"]

_YEAR_RE = re.compile(r"((?:19|20)\d{2}|[〇零○一二三四五六七八九]{4})\s*年度?")
_TOPIC_RE = re.compile(
    r"(?:全市|全县|全区|全省|全系统|全局|全院|全校)?(?:网络)?(?:意识形态|宣传思想文化|宣传思想|思想政治|宣传)?"
    r"(?:工作)?(?:要点|计划|安排|任务清单|责任清单|工作方案|实施方案|方案|提纲)"
)
_NOT_AN_ORG = {"全市", "全县", "全区", "全省", "全国", "本单位", "我单位", "我局", "我委", "我部", "我院", "机关"}


@dataclass
class Item:
    number: int
    title: str
    text: str
    obligations: list[Obligation] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"number": self.number, "title": self.title, "text": self.text,
                "obligations": [o.to_dict() for o in self.obligations],
                "targets": [t.to_dict() for t in self.targets]}


@dataclass
class Section:
    number: int
    title: str  # the short title: "深化理论武装"
    heading: str  # the heading as written, without its number: "深化理论武装,筑牢思想根基"
    intro: str
    items: list[Item] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"number": self.number, "title": self.title, "heading": self.heading, "intro": self.intro,
                "items": [item.to_dict() for item in self.items]}


@dataclass
class Plan:
    title: str
    organization: str | None
    year: int | None
    preamble: str
    warnings: list[str]
    sections: list[Section]
    outline_only: bool = False

    @property
    def items(self) -> list[Item]:
        return [item for section in self.sections for item in section.items]

    def to_dict(self) -> dict:
        return {"title": self.title, "organization": self.organization, "year": self.year,
                "preamble": self.preamble, "warnings": list(self.warnings), "outline_only": self.outline_only,
                "sections": [section.to_dict() for section in self.sections]}


# ---------------------------------------------------------------- entry points


def read_plan_bytes(data: bytes, filename: str = "") -> str:
    """Plan file bytes → text: UTF-8 (BOM or not), GB18030, UTF-16 with BOM, or .docx.

    Raises PlanReadError (message in Chinese) for empty, binary, over-5-MB or unsupported input.
    """
    return read_source(data, filename).text


def parse_plan_file(path_or_bytes: str | os.PathLike[str] | bytes, filename: str | None = None) -> Plan:
    """Parse a plan from a path, or from bytes plus the uploaded file's name (for .docx detection)."""
    if isinstance(path_or_bytes, bytes | bytearray):
        data, name = bytes(path_or_bytes), filename or ""
    else:
        path = Path(path_or_bytes)
        if not path.is_file():
            raise PlanReadError(f"找不到文件：{path}")
        if path.stat().st_size > MAX_BYTES:
            raise PlanReadError(f"文件过大（{path.stat().st_size / 1024 / 1024:.1f} MB），工作要点文件不应超过5 MB")
        data, name = path.read_bytes(), filename or path.name
    source = read_source(data, name)
    plan = parse_plan_text(source.text)
    plan.warnings[:0] = source.warnings
    return plan


def parse_plan_text(text: str) -> Plan:
    """Parse plan text (a file's content or pasted text). Raises PlanReadError when it holds no items."""
    if not text or not text.strip():
        raise PlanReadError("内容为空，没有可读取的工作要点")
    cleaned = clean_lines(text)
    structure = build(cleaned.lines)
    if not any(section.items for section in structure.sections):
        raise PlanReadError(
            "没有找到编号条目。工作要点应按“一、……”分部分、按“1.……”或“（一）……”列出条目；"
            "请确认文件内容是工作要点，若编号是Word自动生成的，请上传.docx原文件")
    warnings: list[str] = []
    title = cleaned.title
    if not cleaned.title_found:
        warnings.append(f"未找到含“工作要点”等字样的标题，已将首行“{title}”作为标题" if title
                        else "未找到标题行（如“2026年××意识形态工作要点”）")
    organization, year = title_meta(title)
    preamble = "\n".join(structure.preamble)
    if year is None:
        year = _year_from(preamble)
        warnings.append(f"标题中没有年份，已按开头段落推断为{year}年" if year else "未能识别计划年份")
    if organization is None and title:
        warnings.append("未能从标题中识别单位名称")
    sections = _sections(structure, warnings)
    plan = Plan(title=title, organization=organization, year=year, preamble=preamble, warnings=[],
                sections=sections, outline_only=structure.outline_only)
    plan.warnings = _noise_warnings(cleaned) + warnings + structure.warnings
    plan.warnings += _content_warnings(plan, structure)
    return plan


# ---------------------------------------------------------------- title


def title_meta(title: str) -> tuple[str | None, int | None]:
    """ "市委组织部2026年意识形态工作要点" → ("市委组织部", 2026); "2026年市政府机关…" → ("市政府机关", 2026).

    A notice wrapping the plan ("××局关于印发《2026年…要点》的通知") names the organ before 关于.
    """
    inner = re.search(r"《([^》]+)》", title)
    core = inner.group(1) if inner and TITLE_WORDS_RE.search(inner.group(1)) else title
    core = re.sub(r"[（(][^）)]*[）)]\s*$", "", core).strip()  # (提纲), （征求意见稿）
    year_match = _YEAR_RE.search(core)
    year = _year_value(year_match.group(1)) if year_match else None
    if year_match:
        before, after = core[: year_match.start()], core[year_match.end():]
    else:
        before, after = "", core
    organization = before.strip() or _before_topic(after)
    issuer = title.split("关于", 1)[0].strip() if "关于" in title else ""
    if issuer and not TITLE_WORDS_RE.search(issuer):
        organization = issuer
    organization = re.sub(r"(?:关于|印发|的)+$", "", (organization or "").strip(" ，,:：")).strip()
    if len(organization) < 2 or organization in _NOT_AN_ORG:
        return None, year
    return organization, year


def _before_topic(text: str) -> str:
    topic = _TOPIC_RE.search(text)
    return text[: topic.start()] if topic else ""


def _year_value(token: str) -> int | None:
    value = int(token) if token.isdigit() else parse_cn_int(token)
    return value if value and 1990 <= value <= 2100 else None


def _year_from(text: str) -> int | None:
    match = _YEAR_RE.search(text[:200])
    return _year_value(match.group(1)) if match else None


# ---------------------------------------------------------------- sections and items


def _sections(structure: Structure, warnings: list[str]) -> list[Section]:
    sections: list[Section] = []
    number = 0
    for index, raw in enumerate(structure.sections, start=1):
        items = []
        for raw_item in raw.items:
            number += 1
            items.append(_item(number, raw_item))
        heading = raw.heading
        intro = "\n".join(raw.intro)
        sections.append(Section(number=index, title=short_title(heading) if heading else "", heading=heading,
                                intro=intro, items=items))
        _intro_obligation_warning(intro, f"第{index}部分导语", warnings)
    _intro_obligation_warning("\n".join(structure.preamble), "开头段落", warnings)
    if any(raw.number is None for raw in structure.sections) and len(structure.sections) == 1:
        warnings.append("未识别到“一、”形式的部分标题，全部条目归入同一部分")
    elif any(raw.number is None for raw in structure.sections):
        warnings.append("第一个“一、”标题之前已有编号条目，已单列为一个未命名部分")
    return sections


def _item(number: int, raw: RawItem) -> Item:
    """Obligations come from the written title too ("1.每月召开一次例会。"), never twice."""
    text = raw.text
    obligations, targets = ([], []) if raw.derived_title else analyse(raw.title)
    text_obligations, text_targets = analyse(text)
    obligations += [o for o in text_obligations if o not in obligations]
    targets += [t for t in text_targets if t not in targets]
    return Item(number=number, title=raw.title, text=text, obligations=obligations, targets=targets)


def _intro_obligation_warning(text: str, where: str, warnings: list[str]) -> None:
    """Cadences written outside any item would otherwise never reach the ledger."""
    found = extract_obligations(text) if text else []
    if found:
        quotes = "；".join(f"“{o.quote}”" for o in found[:3])
        warnings.append(f"{where}中有周期性要求（{quotes}），不属于任何条目，请导入后手工建立任务")


# ---------------------------------------------------------------- warnings


def _noise_warnings(cleaned: CleanResult) -> list[str]:
    warnings = []
    if cleaned.editor_labels:
        warnings.append(f"正文中有{cleaned.editor_labels}处编辑标注“过渡句:”，已删除标注、保留句子")
    if cleaned.page_numbers:
        warnings.append(f"已忽略{cleaned.page_numbers}行页码")
    if cleaned.attachment:
        warnings.append(f"“{cleaned.attachment[:20]}”及以后的内容是附件，未解析")
    if cleaned.trailer:
        warnings.append(f"文末落款“{' '.join(cleaned.trailer)}”未计入条目正文")
    return warnings


def _content_warnings(plan: Plan, structure: Structure) -> list[str]:
    warnings = []
    raw_to_item = _raw_map(plan, structure)
    if structure.last_open is not None:
        where = _where(structure.last_open, raw_to_item)
        tail = structure.last_open_text[-12:]
        warnings.append(f"{where}在“……{tail}”处中断，文件可能不完整，请核对原文")
    if plan.outline_only:
        warnings.append(f"这是提纲：{len(plan.items)}个条目只有标题、没有正文，义务需在导入后补充")
        return warnings
    outline_only_items = [raw_to_item[id(r)].number for s in structure.sections for r in s.items if r.from_outline]
    if outline_only_items:
        warnings.append(f"第{_ranges(outline_only_items)}条只见于提纲、正文中没有，已保留标题，正文为空")
    outline_sections = [i for i, s in enumerate(structure.sections, start=1) if s.from_outline]
    if outline_sections:
        warnings.append(f"第{_ranges(outline_sections)}部分只见于提纲，标题取自提纲")
    empty = [raw_to_item[id(r)].number for s in structure.sections for r in s.items
             if not r.from_outline and not r.body]
    if empty:
        warnings.append(f"第{_ranges(empty)}条只有标题、没有正文")
    derived = [raw_to_item[id(r)].number for s in structure.sections for r in s.items if r.derived_title]
    if derived:
        warnings.append(f"第{_ranges(derived)}条没有单独的标题句，标题取自首句前部，请核对")
    return warnings


def _raw_map(plan: Plan, structure: Structure) -> dict[int, Item]:
    raws = [raw for section in structure.sections for raw in section.items]
    return {id(raw): item for raw, item in zip(raws, plan.items, strict=True)}


def _where(owner: RawItem | RawSection, raw_to_item: dict[int, Item]) -> str:
    if isinstance(owner, RawItem) and id(owner) in raw_to_item:
        return f"第{raw_to_item[id(owner)].number}条正文"
    if isinstance(owner, RawSection):
        return f"“{owner.heading}”部分的导语"
    return "最后一段"


def _ranges(numbers: list[int]) -> str:
    """[12, 13, 14, 20] → "12—14、20"."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return "、".join(f"{run[0]}—{run[-1]}" if len(run) > 1 else f"{run[0]}" for run in runs)
