"""Demo data of the risks module on the demo organ (org/demo.py): domains and checklists, a screening
round with some self-checks done, ~15 risks across levels, one 挂牌督办 重大 risk and one closed.

Idempotent: domains, points, the campaign and risks are matched by name/title, so a second run
changes nothing. Everything is written through risks.actions (and ledger.actions), as a user would.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core import workdays
from core.files import store_upload
from risks import actions
from risks.choices import AnswerResult
from risks.models import Risk, RiskDomain, RiskPoint, RiskStep, ScreeningCampaign

DOMAINS: list[tuple[str, list[str]]] = [
    ("理论学习", ["党组理论学习中心组学习流于形式、以读代学", "“第一议题”制度落实不到位", "青年干部理论学习覆盖不全"]),
    ("宣传舆论", ["政策解读发布滞后、口径不一", "重大决策出台前未开展舆情风险评估"]),
    ("网络阵地", ["门户网站、政务新媒体内容把关不严", "评论区、留言板管理缺位", "账号长期不更新（僵尸号）"]),
    ("讲座论坛", ["报告会、研讨会、讲座论坛未履行“一会一报”", "邀请的主讲人背景审核不严"]),
    ("涉外交往", ["对外交流活动前未开展政治把关", "涉外人员接待中意识形态安全提示缺失"]),
    ("敏感节点", ["重要时间节点前后舆情监测值守不到位", "敏感节点期间信息发布审核不严"]),
]
CAMPAIGN_TITLE = "2026年第二季度意识形态领域风险隐患排查"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# (title, domain, unit code, owner account or "", likelihood, impact, description)
RISKS: list[tuple[str, str, str, str, int, int, str]] = [
    ("政务新媒体评论区出现错误言论未及时处置", "网络阵地", "SZF-XJ", "xj_ky2", 5, 5, "评论区无专人值守，错误言论留存超过 24 小时"),
    ("门户网站转载文章未履行三审三校", "网络阵地", "SZF-XX", "xx_ky1", 4, 4, "转载类稿件仅一审即发布"),
    ("部分科室中心组学习以读代学", "理论学习", "SZF-ZH", "zh_ky1", 3, 3, "学习记录雷同，研讨发言缺失"),
    ("青年干部理论学习参与率偏低", "理论学习", "SZF-MS", "ms_ky2", 2, 3, "上季度参学率不足六成"),
    ("政策解读发布滞后", "宣传舆论", "SZF-ZY", "zy_ky1", 3, 4, "新政出台后三日内无官方解读"),
    ("讲座未履行一会一报", "讲座论坛", "SZF-JGDW", "jgdw_ky1", 4, 3, "机关读书讲座未提前报备"),
    ("主讲人背景审核记录缺失", "讲座论坛", "SZF-XJ", "xj_ky1", 2, 2, "近两次报告会无背景审核记录"),
    ("外事接待安全提示缺失", "涉外交往", "SZF-BGS", "bgs_ky", 2, 4, "接待方案中缺少意识形态安全提示"),
    ("国庆节点舆情值守排班空档", "敏感节点", "SZF-XX", "xx_ky2", 4, 5, "节日期间夜间无人值守"),
    ("政务服务中心电子屏内容审核不严", "网络阵地", "SZF-ZWZX", "zwzx_ky1", 3, 3, "滚动屏内容未经审核上屏"),
    ("内部刊物稿件把关不严", "宣传舆论", "SZF-XJ", "xj_ky3", 1, 3, "个别稿件表述不规范"),
    ("僵尸微信公众号未清理", "网络阵地", "SZF-SWZX", "swzx_ky1", 1, 2, "停更一年的账号未注销"),
    ("敏感节点信息发布审核流程不清", "敏感节点", "SZF-DC", "dc_ky1", 2, 1, "节点期间发布审核责任人未明确"),
    ("对外交流材料政治把关不到位", "涉外交往", "SZF-FZ", "fz_ky1", 1, 1, "交流材料未经分管领导审签"),
]
FLAGGED = "政务新媒体评论区出现错误言论未及时处置"
CLOSED = "门户网站转载文章未履行三审三校"


def _unit(code: str) -> Any:
    from org.models import Unit

    return Unit.objects.get(code=code)


def _user(username: str) -> Any:
    from core.models import User

    return User.objects.get(username=username)


def _person(username: str) -> Any:
    from org.models import Person

    return Person.objects.filter(user__username=username).first() if username else None


def _domains(admin: Any) -> dict[str, RiskDomain]:
    found: dict[str, RiskDomain] = {}
    for order, (name, points) in enumerate(DOMAINS):
        domain = RiskDomain.objects.filter(name=name).first() or actions.do_save_domain(
            None, name=name, sort_order=order * 10, acting_user=admin)
        for n, text in enumerate(points):
            if not RiskPoint.objects.filter(domain=domain, text=text).exists():
                actions.do_save_point(None, domain=domain, text=text, sort_order=n, acting_user=admin)
        found[name] = domain
    return found


def _campaign(admin: Any) -> None:
    if ScreeningCampaign.objects.filter(title=CAMPAIGN_TITLE).exists():
        return
    today = timezone.localdate()
    codes = ["SZF-XJ", "SZF-XX", "SZF-ZH", "SZF-MS", "SZF-BGS", "SZF-ZWZX"]
    campaign = actions.do_launch_campaign(
        kind="quarterly", title=CAMPAIGN_TITLE, start_date=today, due_date=workdays.add_workdays(today, 10),
        units=[_unit(c) for c in codes], acting_user=admin,
        description="各单位对照排查清单逐项自查，发现的风险隐患登记入台账，限期整改。")
    for code, filler, risky in (("SZF-XJ", "xj_kz", 2), ("SZF-XX", "xx_kz", None)):
        check = campaign.checks.get(unit__code=code)
        answers = {a.pk: {"result": AnswerResult.OK} for a in check.answers.all()}
        if risky is not None:
            answer = check.answers.order_by("order")[risky]
            answers[answer.pk] = {"result": AnswerResult.RISK, "note": "本季度有 2 次讲座未经审批即举办",
                                  "likelihood": 3, "impact": 3}
        actions.do_save_self_check(check, answers=answers, summary="已对照清单逐项自查。", submit=True,
                                   acting_user=_user(filler))
    draft = campaign.checks.get(unit__code="SZF-ZH")
    first = draft.answers.order_by("order").first()
    actions.do_save_self_check(draft, answers={first.pk: {"result": AnswerResult.OK}}, acting_user=_user("zh_kz"))


def _finish_steps(risk: Risk, worker: Any, head: Any) -> None:
    from ledger import actions as ledger_actions
    from ledger.choices import TaskStatus

    for step in RiskStep.objects.filter(risk=risk).select_related("task"):
        if step.task.status == TaskStatus.DONE:
            continue
        files = [_evidence(worker, risk.unit)]
        ledger_actions.report_progress(step.task, text="整改完成，已建立长效机制", files=files,
                                       request_completion=True, acting_user=worker)
        ledger_actions.confirm_completion(step.task, acting_user=head)


def _evidence(user: Any, unit: Any) -> Any:
    return store_upload(SimpleUploadedFile("整改佐证.pdf", PDF, content_type="application/pdf"), unit=unit, user=user,
                        purpose="risks.evidence")


def _risks(admin: Any, domains: dict[str, RiskDomain]) -> None:
    today = timezone.localdate()
    for n, (title, domain, code, owner, likelihood, impact, text) in enumerate(RISKS):
        if Risk.objects.filter(title=title).exists():
            continue
        unit = _unit(code)
        risk = actions.create_risk(
            unit=unit, title=title, description=text, domain=domains[domain], likelihood=likelihood, impact=impact,
            deadline=workdays.add_workdays(today, 10 + n * 3), owner=_person(owner), acting_user=admin,
            source=["inspection", "report", "screening", "incident"][n % 4],
            measures="明确责任人，建立审核台账，限期整改到位。")
        if n % 3 == 0 and title not in (FLAGGED, CLOSED):
            actions.do_add_step(risk, title=f"整改：{title}", due_date=workdays.add_workdays(today, 5 + n),
                                acting_user=admin)
        if title == FLAGGED:
            _flag(risk, admin, today)
        if title == CLOSED:
            _close(risk, admin, today)


def _flag(risk: Risk, admin: Any, today: Any) -> None:
    fenguan = _user("fenguan")
    actions.do_add_step(risk, title="建立评论区先审后发和 24 小时值守机制", due_date=workdays.add_workdays(today, 8),
                        acting_user=admin)
    actions.do_flag_risk(
        Risk.objects.get(pk=risk.pk), leader=fenguan, group=[_person("xj_kz"), _person("xj_ky2"), _person("xx_kz")],
        group_name="评论区整治工作专班", cadence="weekly", acting_user=fenguan,
        order="限两周内完成评论区清理和制度建设，每周报送整改进展。")


def _close(risk: Risk, admin: Any, today: Any) -> None:
    worker, head = _user("xx_ky1"), _user("xx_kz")
    actions.do_add_step(risk, title="补齐转载稿件三审记录，修订发布流程", due_date=workdays.add_workdays(today, 3),
                        acting_user=admin)
    risk = Risk.objects.get(pk=risk.pk)
    _finish_steps(risk, worker, head)
    risk = actions.do_request_close(risk, text="三审三校流程已修订并执行", files=[_evidence(worker, risk.unit)],
                                    acting_user=worker)
    actions.do_verify_close(risk, comment="抽查 20 篇转载稿件，审核记录齐全，予以销号", acting_user=_user("fenguan"))


def load_demo_risks(admin_user: Any) -> None:
    """Load (or complete) the demo data; safe to run again."""
    domains = _domains(admin_user)
    _campaign(admin_user)
    _risks(admin_user, domains)
