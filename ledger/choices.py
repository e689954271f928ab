from django.db import models


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", "未开始"
    IN_PROGRESS = "in_progress", "进行中"
    PENDING_REVIEW = "pending_review", "待审核"
    DONE = "done", "已完成"


# 已逾期 is not stored: a task is overdue when it is not done and its due date has passed, so the
# state can never go stale between nightly runs. Lists and filters show it as a status of its own.
OVERDUE = "overdue"
OVERDUE_LABEL = "已逾期"
OPEN_STATUSES = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.PENDING_REVIEW)


class Light(models.TextChoices):
    BLUE = "blue", "正常"
    YELLOW = "yellow", "临期"
    RED = "red", "逾期"
    GREEN = "green", "已完成"


class SourceKind(models.TextChoices):
    PLAN = "plan", "工作要点"
    MANUAL = "manual", "手工交办"
    RISK = "risk", "风险整改"
    INCIDENT = "incident", "舆情处置"
    FINDING = "finding", "督查整改"
    MEETING = "meeting", "会议决定"
    DRILL = "drill", "演练整改"
    DUTY_REPORT = "duty_report", "履职报告"
    RESPONSIBILITY = "responsibility", "责任落实"


class ReportKind(models.TextChoices):
    PROGRESS = "progress", "进展报告"
    COMPLETION = "completion", "申请办结"
    CONFIRM = "confirm", "确认完成"
    RETURN = "return", "退回"


class SupervisionStatus(models.TextChoices):
    ISSUED = "issued", "已交办"
    ACKNOWLEDGED = "acknowledged", "已签收"
    MEASURES = "measures", "已报措施"
    CLOSING = "closing", "申请办结"
    CLOSED = "closed", "已办结"
    RETURNED = "returned", "已退回"


class SupervisionLevel(models.TextChoices):
    ORDINARY = "ordinary", "一般事项"
    MAJOR = "major", "重大事项"


class Grade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    GOOD = "good", "良好"
    PASS = "pass", "合格"
    FAIL = "fail", "不合格"
