"""The meeting report (.docx, GB/T 9704 layout through core.exports.docx)."""

from __future__ import annotations

import datetime

from core.exports.docx import OfficialDocument, format_chinese_date
from risks.meetings.choices import Attendance, MeetingStatus
from risks.meetings.models import AnalysisMeeting

TITLE_LINE_CHARS = 20


def build_meeting_report(meeting: AnalysisMeeting, *, today: datetime.date) -> bytes:
    """一、会议基本情况 二、会议议程 三、会议纪要 四、会议决定事项, signed by the convening unit.

    `meeting` comes with its agenda, attendees (and persons) and decisions (and tasks) prefetched.
    """
    title = f"{meeting.title}纪要"
    doc = OfficialDocument(title=title)
    doc.title(f"{meeting.title}\n纪要" if len(title) > TITLE_LINE_CHARS else title)
    doc.heading(1, "会议基本情况")
    doc.paragraph(_basics(meeting))
    doc.heading(1, "会议议程")
    agenda = list(meeting.agenda.all())
    if agenda:
        doc.table(["序号", "议题", "说明"], [(i, a.title, a.detail or "—") for i, a in enumerate(agenda, start=1)],
                  widths_mm=[15, 70, 71])
    else:
        doc.paragraph("未设置议程。")
    doc.heading(1, "会议纪要")
    for line in (meeting.minutes or "会议尚未记录纪要。").splitlines():
        if line.strip():
            doc.paragraph(line.strip())
    doc.heading(1, "会议决定事项")
    decisions = list(meeting.decisions.all())
    if decisions:
        doc.table(["序号", "决定事项", "责任单位", "完成时限", "办理状态"],
                  [(i, d.text, d.unit.name, f"{d.due_date:%Y-%m-%d}", _task_status(d))
                   for i, d in enumerate(decisions, start=1)],
                  widths_mm=[13, 67, 28, 26, 22])
    else:
        doc.paragraph("本次会议无决定事项。")
    doc.signature(meeting.unit.name, meeting.held_on or today)
    return doc.to_bytes()


def _basics(meeting: AnalysisMeeting) -> str:
    attendees = list(meeting.attendees.all())
    present = [a.person.name for a in attendees if a.status == Attendance.PRESENT]
    leave = [a.person.name for a in attendees if a.status == Attendance.LEAVE]
    absent = [a.person.name for a in attendees if a.status == Attendance.ABSENT]
    if meeting.status != MeetingStatus.HELD:
        when = f"会议计划于{format_chinese_date(meeting.scheduled_on)}召开（{meeting.get_status_display()}）"
    else:
        when = f"{format_chinese_date(meeting.held_on)}，{meeting.unit.name}召开{meeting.get_kind_display()}"
    parts = [when]
    if meeting.location:
        parts.append(f"地点：{meeting.location}")
    if meeting.chair:
        parts.append(f"{meeting.chair}主持")
    text = "，".join(parts) + "。"
    if present:
        text += f"出席：{'、'.join(present)}（共{len(present)}人）。"
    if leave:
        text += f"请假：{'、'.join(leave)}。"
    if absent:
        text += f"缺席：{'、'.join(absent)}。"
    return text


def _task_status(decision: object) -> str:
    task = getattr(decision, "task", None)
    if task is None:
        return "—"
    return task.get_status_display()
