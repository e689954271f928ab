"""Official .docx (GB/T 9704 layout, core.exports.docx) of a published list, a signed letter and a
duty report."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from core.exports.docx import OfficialDocument
from org.models import DutyReport, ResponsibilityLetter, ResponsibilityListRevision


def list_docx(revision: ResponsibilityListRevision, entries: list[Any]) -> bytes:
    lst = revision.responsibility_list
    doc = OfficialDocument(title=lst.title)
    doc.title(f"{lst.year}年度{lst.title}")
    holder = f"责任人：{lst.holder.name}　" if lst.holder_id else ""
    doc.paragraph(f"{holder}岗位：{lst.get_post_display()}　版本：第{revision.number}版", indent=False)
    doc.table(["序号", "责任内容", "工作要点原文"], [[e.order, e.text, e.quote] for e in entries],
              widths_mm=[15, 80, 61])
    when = timezone.localtime(revision.published_at).date() if revision.published_at else timezone.localdate()
    doc.signature(lst.unit.name, when)
    return doc.to_bytes()


def letter_docx(letter: ResponsibilityLetter) -> bytes:
    """The letter as signed: the frozen text, then who signed, when, and the check code."""
    doc = OfficialDocument(title=letter.title)
    doc.title(letter.title)
    doc.paragraph(letter.signed_text or letter.body)
    doc.blank_line()
    if letter.signed_at:
        signed = timezone.localtime(letter.signed_at)
        doc.paragraph(f"签署人：{letter.addressee.name}（{letter.unit.name}）", indent=False)
        doc.paragraph(f"签署时间：{signed:%Y-%m-%d %H:%M:%S}　签署账号：{letter.signed_by.username}", indent=False)
        doc.paragraph(f"校验码：{letter.signed_hash}", indent=False)
        doc.signature(letter.template.unit.name, signed.date())
    return doc.to_bytes()


def duty_report_docx(report: DutyReport, content: str) -> bytes:
    doc = OfficialDocument(title=f"{report.period_label}履职报告")
    doc.title(f"{report.author.name}{report.period_label}\n意识形态工作履职报告")
    doc.paragraph(content)
    doc.signature(report.unit.name, timezone.localdate())
    return doc.to_bytes()
