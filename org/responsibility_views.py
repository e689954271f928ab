"""Responsibility pages: lists (责任清单, 公示), letters (责任书, signing), duty reports (履职报告) and
contact points (联系点).

Thin like the other views: rows come from `visible_to` / `get_visible_or_404` (out of scope is a
404), writes go through org.responsibility, a refused POST is logged. A stale `version` re-renders
the page with 409, the current data and what the user typed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import audit
from core.audit import forbid
from core.exports.docx import docx_response
from core.forms import add_action_errors
from core.listing import paginate
from core.models import AuditAction
from core.roles import LEADING_ROLES
from core.scoping import has_role, is_admin
from org.models import (
    ContactPoint,
    DutyReport,
    DutyReportSchedule,
    LetterTemplate,
    ResponsibilityLetter,
    ResponsibilityList,
    ResponsibilityListRevision,
    Unit,
)
from org.responsibility import (
    PLACEHOLDERS,
    ConflictError,
    can_coordinate,
    can_edit_list,
    can_manage_unit,
    can_review,
    can_sign,
    can_submit,
    do_comment_duty_report,
    do_create_contact_point,
    do_create_duty_schedule,
    do_create_letter_template,
    do_create_list,
    do_publish_list,
    do_revise_list,
    do_save_list_draft,
    do_send_letters,
    do_sign_letter,
    do_submit_duty_report,
    do_update_contact_point,
    do_update_letter,
    draft_of,
    letter_recipients,
)
from org.responsibility_choices import DutyReportStatus, LetterStatus, Post, RevisionStatus
from org.responsibility_exports import letter_docx, list_docx
from org.responsibility_forms import (
    CommentForm,
    ContactPointEditForm,
    ContactPointForm,
    DraftForm,
    EntryFormSet,
    LetterEditForm,
    ListCreateForm,
    ScheduleForm,
    SignForm,
    SubmitReportForm,
    TemplateForm,
    VersionForm,
)

T = "org/responsibility/"


def _ctx(tab: str, title: str, **extra: Any) -> dict[str, Any]:
    return {"resp_tab": tab, "page_title": title, **extra}


def _with_version(form: Any, version: int) -> None:
    """After a conflict keep what the user typed, but base the next attempt on the current version."""
    data = form.data.copy()
    data["version"] = str(version)
    form.data = data


def _may_draft(user: Any) -> bool:
    return is_admin(user) or has_role(user, *LEADING_ROLES)


# --- responsibility lists ---------------------------------------------------------------------------


@login_required
@require_GET
def list_index(request: HttpRequest) -> HttpResponse:
    qs = (ResponsibilityList.objects.visible_to(request.user, "view").select_related("unit", "holder")
          .annotate(published=Count("revisions", filter=Q(revisions__status=RevisionStatus.PUBLISHED)),
                    drafts=Count("revisions", filter=Q(revisions__status=RevisionStatus.DRAFT))))
    year = request.GET.get("year", "")
    if year.isdigit():
        qs = qs.filter(year=int(year))
    post = request.GET.get("post", "")
    if post in Post.values:
        qs = qs.filter(post=post)
    context = _ctx("lists", "责任清单", posts=Post.choices, year=year, post=post,
                   can_draft=_may_draft(request.user), **paginate(request, qs.order_by("-year", "unit__path", "id")))
    return render(request, T + "list_index.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def list_create(request: HttpRequest) -> HttpResponse:
    if not _may_draft(request.user):
        forbid(request, "无权起草责任清单", object_type="org.responsibilitylist")
    form = ListCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            lst = do_create_list(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "已根据工作要点起草责任清单，请核对、修改后公示")
            return redirect("org:list_edit", pk=lst.pk)
    return render(request, T + "form.html", _ctx("lists", "起草责任清单", form=form, submit="起草"))


def _get_list(request: HttpRequest, pk: int) -> ResponsibilityList:
    return (ResponsibilityList.objects.select_related("unit", "holder", "plan")
            .get_visible_or_404(request.user, "view", pk=pk))


def _revision(lst: ResponsibilityList, number: str | None) -> ResponsibilityListRevision | None:
    revisions = lst.revisions.all()
    if number and number.isdigit():
        return revisions.filter(number=int(number)).first()
    return revisions.filter(status=RevisionStatus.PUBLISHED).first() or revisions.first()


@login_required
@require_GET
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The 公示 page: the current published version; older versions stay viewable (?rev=N)."""
    return _list_page(request, _get_list(request, pk))


def _list_page(request: HttpRequest, lst: ResponsibilityList, status: int = 200) -> HttpResponse:
    revision = _revision(lst, request.GET.get("rev"))
    if revision is None:
        raise Http404("记录不存在或无权访问")
    context = _ctx("lists", lst.title, lst=lst, revision=revision, entries=list(revision.entries.all()),
                   revisions=list(lst.revisions.select_related("published_by")),
                   can_edit=can_edit_list(request.user, lst.unit_id), has_draft=draft_of(lst) is not None,
                   version_form=VersionForm(initial={"version": lst.version}))
    return render(request, T + "list_detail.html", context, status=status)


def _formset_entries(formset: Any) -> list[dict[str, Any]]:
    return [f.cleaned_data for f in formset.forms if f.cleaned_data and (f.cleaned_data.get("text") or "").strip()]


def _render_edit(request: HttpRequest, lst: ResponsibilityList, draft: Any, form: Any, formset: Any,
                 status: int = 200, conflict: str = "") -> HttpResponse:
    context = _ctx("lists", f"编辑：{lst.title}", lst=lst, draft=draft, form=form, formset=formset, conflict=conflict)
    return render(request, T + "list_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def list_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lst = _get_list(request, pk)
    if not can_edit_list(request.user, lst.unit_id):
        forbid(request, "无权修改该责任清单", obj=lst)
    draft = draft_of(lst)
    if draft is None:
        messages.error(request, "已公示的版本已冻结，不能修改；请先点击“修订”生成新的草稿版本")
        return redirect("org:list_detail", pk=lst.pk)
    if request.method == "GET":
        entries = list(draft.entries.values("text", "quote", "obligation_id"))
        return _render_edit(request, lst, draft, DraftForm(initial={"version": lst.version, "note": draft.note}),
                            EntryFormSet(initial=entries, prefix="e"))
    form, formset = DraftForm(request.POST), EntryFormSet(request.POST, prefix="e")
    if not (form.is_valid() and formset.is_valid()):
        return _render_edit(request, lst, draft, form, formset)
    try:
        do_save_list_draft(lst, entries=_formset_entries(formset), note=form.cleaned_data["note"],
                           acting_user=request.user, expected_version=form.cleaned_data["version"])
    except ConflictError as exc:
        fresh = _get_list(request, pk)
        _with_version(form, fresh.version)
        return _render_edit(request, fresh, draft_of(fresh), form, formset, status=409, conflict=exc.messages[0])
    except ValidationError as exc:
        add_action_errors(form, exc)
        return _render_edit(request, lst, draft, form, formset)
    messages.success(request, "草稿已保存")
    return redirect("org:list_detail", pk=lst.pk) if "done" in request.POST else redirect("org:list_edit", pk=lst.pk)


def _list_step(request: HttpRequest, pk: int, action: Any, done: str) -> HttpResponse:
    lst = _get_list(request, pk)
    if not can_edit_list(request.user, lst.unit_id):
        forbid(request, "无权修改该责任清单", obj=lst)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请求无效，请刷新页面后重试")
        return redirect("org:list_detail", pk=lst.pk)
    try:
        action(lst, acting_user=request.user, expected_version=form.cleaned_data["version"])
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return _list_page(request, _get_list(request, pk), status=409)
    messages.success(request, done)
    if action is do_revise_list:
        return redirect("org:list_edit", pk=lst.pk)
    return redirect("org:list_detail", pk=lst.pk)


@login_required
@require_POST
def list_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _list_step(request, pk, do_publish_list, "责任清单已公示")


@login_required
@require_POST
def list_revise(request: HttpRequest, pk: int) -> HttpResponse:
    return _list_step(request, pk, do_revise_list, "已生成新的草稿版本，公示前原版本继续有效")


@login_required
@require_GET
def list_export(request: HttpRequest, pk: int) -> HttpResponse:
    lst = _get_list(request, pk)
    revision = _revision(lst, request.GET.get("rev"))
    if revision is None:
        raise Http404("记录不存在或无权访问")
    audit.record(AuditAction.EXPORT, obj=lst, changes={"revision": revision.number, "format": "docx"})
    return docx_response(f"{lst.title}（第{revision.number}版）.docx", list_docx(revision, list(revision.entries.all())))


# --- letters ----------------------------------------------------------------------------------------


@login_required
@require_GET
def letter_list(request: HttpRequest) -> HttpResponse:
    """我的责任书, or (box=all) every letter in scope; status=sent is the 未签署 list."""
    box = "all" if request.GET.get("box") == "all" else "mine"
    qs = ResponsibilityLetter.objects.visible_to(request.user, "view").select_related("unit", "addressee", "template")
    if box == "mine":
        qs = qs.filter(addressee__user=request.user)
    status = request.GET.get("status", "")
    if status in LetterStatus.values:
        qs = qs.filter(status=status)
    template = request.GET.get("template", "")
    if template.isdigit():
        qs = qs.filter(template_id=int(template))
    context = _ctx("letters", "责任书", box=box, status=status, statuses=LetterStatus.choices,
                   templates=LetterTemplate.objects.visible_to(request.user, "view")[:50], template=template,
                   can_coordinate=can_coordinate(request.user),
                   **paginate(request, qs.order_by("status", "-year", "unit__path", "id")))
    return render(request, T + "letter_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def template_create(request: HttpRequest) -> HttpResponse:
    if not can_coordinate(request.user):
        forbid(request, "仅系统管理员或第一责任人可以拟定责任书", object_type="org.lettertemplate")
    form = TemplateForm(request.POST or None, user=request.user, initial={"body": DEFAULT_BODY})
    if request.method == "POST" and form.is_valid():
        try:
            template = do_create_letter_template(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "责任书模板已保存，核对收件人后即可发送")
            return redirect("org:template_detail", pk=template.pk)
    return render(request, T + "form.html", _ctx("letters", "拟定责任书", form=form, submit="保存",
                                                 hint=f"可用占位符：{' '.join(PLACEHOLDERS)}"))


DEFAULT_BODY = (
    "为全面落实意识形态工作责任制，压紧压实{单位}意识形态工作主体责任，签订本责任书。\n"
    "一、{负责人}同志作为{单位}负责人，对本单位{年度}年度意识形态工作负直接责任。\n"
    "二、主要责任：\n{责任清单}\n"
    "三、本责任书自签署之日起生效，有效期至{年度}年12月31日。"
)


@login_required
@require_GET
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    template = LetterTemplate.objects.select_related("unit").get_visible_or_404(request.user, "view", pk=pk)
    letters = (template.letters.visible_to(request.user, "view").select_related("unit", "addressee", "signed_by")
               .order_by("status", "unit__path", "id"))
    counts = letters.aggregate(total=Count("id"), signed=Count("id", filter=Q(status=LetterStatus.SIGNED)))
    may_send = can_manage_unit(request.user, template.unit_id)
    sent = {(u, p) for u, p in template.letters.values_list("unit_id", "addressee_id")}
    pending = [r for r in letter_recipients(template, request.user) if (r.unit_id, r.person_id) not in sent] \
        if may_send else []
    context = _ctx("letters", template.title, template=template, counts=counts, may_send=may_send,
                   pending_recipients=pending, **paginate(request, letters))
    return render(request, T + "template_detail.html", context)


@login_required
@require_POST
def template_send(request: HttpRequest, pk: int) -> HttpResponse:
    template = LetterTemplate.objects.get_visible_or_404(request.user, "view", pk=pk)
    if not can_manage_unit(request.user, template.unit_id):
        forbid(request, "仅系统管理员或第一责任人可以发送责任书", obj=template)
    try:
        created = do_send_letters(template, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"已向 {len(created)} 位单位负责人发送责任书" if created else "没有新的收件人")
    return redirect("org:template_detail", pk=template.pk)


def _get_letter(request: HttpRequest, pk: int) -> ResponsibilityLetter:
    return (ResponsibilityLetter.objects.select_related("unit", "addressee", "template__unit", "signed_by")
            .get_visible_or_404(request.user, "view", pk=pk))


def _render_letter(request: HttpRequest, letter: ResponsibilityLetter, *, status: int = 200, conflict: str = "",
                   sign_form: Any = None, edit_form: Any = None) -> HttpResponse:
    user = request.user
    may_sign = can_sign(user, letter)
    may_edit = letter.status == LetterStatus.SENT and can_manage_unit(user, letter.unit_id)
    context = _ctx("letters", letter.title, letter=letter, conflict=conflict, may_sign=may_sign, may_edit=may_edit,
                   sign_form=sign_form or (SignForm(initial={"version": letter.version}) if may_sign else None),
                   edit_form=edit_form or (LetterEditForm(initial={"version": letter.version, "body": letter.body})
                                           if may_edit else None))
    return render(request, T + "letter_detail.html", context, status=status)


@login_required
@require_GET
def letter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_letter(request, _get_letter(request, pk))


@login_required
@require_POST
def letter_sign(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _get_letter(request, pk)
    if letter.addressee.user_id != request.user.pk:
        forbid(request, f"只能签署发给本人的责任书；该责任书的签署人是{letter.addressee.name}", obj=letter)
    form = SignForm(request.POST)
    if not form.is_valid():
        return _render_letter(request, letter, sign_form=form, status=400)
    try:
        do_sign_letter(letter, acting_user=request.user, expected_version=form.cleaned_data["version"])
    except ConflictError as exc:
        fresh = _get_letter(request, pk)
        _with_version(form, fresh.version)
        return _render_letter(request, fresh, sign_form=form if can_sign(request.user, fresh) else None,
                              conflict=exc.messages[0], status=409)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return _render_letter(request, _get_letter(request, pk), status=409)
    messages.success(request, "责任书已签署，签署文本已冻结")
    return redirect("org:letter_detail", pk=letter.pk)


@login_required
@require_POST
def letter_edit(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _get_letter(request, pk)
    if not can_manage_unit(request.user, letter.unit_id):
        forbid(request, "无权修改该责任书", obj=letter)
    form = LetterEditForm(request.POST)
    if not form.is_valid():
        return _render_letter(request, letter, edit_form=form, status=400)
    try:
        do_update_letter(letter, body=form.cleaned_data["body"], acting_user=request.user,
                         expected_version=form.cleaned_data["version"])
    except ConflictError as exc:
        fresh = _get_letter(request, pk)
        _with_version(form, fresh.version)
        return _render_letter(request, fresh, edit_form=form if fresh.status == LetterStatus.SENT else None,
                              conflict=exc.messages[0], status=409)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return _render_letter(request, _get_letter(request, pk), status=409)
    messages.success(request, "责任书已修改")
    return redirect("org:letter_detail", pk=letter.pk)


@login_required
@require_GET
def letter_export(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _get_letter(request, pk)
    if letter.status != LetterStatus.SIGNED:
        messages.error(request, "责任书签署后才能导出")
        return redirect("org:letter_detail", pk=letter.pk)
    audit.record(AuditAction.EXPORT, obj=letter, changes={"format": "docx"})
    return docx_response(f"{letter.title}-{letter.unit.name}.docx", letter_docx(letter))


# --- duty reports -----------------------------------------------------------------------------------


@login_required
@require_GET
def duty_report_list(request: HttpRequest) -> HttpResponse:
    box = "all" if request.GET.get("box") == "all" else "mine"
    qs = DutyReport.objects.visible_to(request.user, "view").select_related("unit", "author", "schedule")
    if box == "mine":
        qs = qs.filter(author__user=request.user)
    status = request.GET.get("status", "")
    if status in DutyReportStatus.values:
        qs = qs.filter(status=status)
    context = _ctx("duty", "履职报告", box=box, status=status, statuses=DutyReportStatus.choices,
                   can_coordinate=can_coordinate(request.user),
                   schedules=DutyReportSchedule.objects.visible_to(request.user, "view")[:20],
                   **paginate(request, qs.order_by("due_date", "unit__path", "id")))
    return render(request, T + "duty_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def schedule_create(request: HttpRequest) -> HttpResponse:
    if not can_coordinate(request.user):
        forbid(request, "仅系统管理员或第一责任人可以安排履职报告", object_type="org.dutyreportschedule")
    form = ScheduleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            schedule = do_create_duty_schedule(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, f"已安排“{schedule.title}”，各单位负责人的提交任务已进入台账")
            return redirect(f"{_url('org:duty_report_list')}?box=all")
    return render(request, T + "form.html", _ctx("duty", "安排履职报告", form=form, submit="安排"))


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


def _get_report(request: HttpRequest, pk: int) -> DutyReport:
    return (DutyReport.objects.select_related("unit", "author", "schedule", "task", "submitted_by")
            .prefetch_related(Prefetch("comments", to_attr="comment_list"))
            .get_visible_or_404(request.user, "view", pk=pk))


def _render_report(request: HttpRequest, report: DutyReport, *, status: int = 200, conflict: str = "",
                   submit_form: Any = None, comment_form: Any = None) -> HttpResponse:
    user = request.user
    may_submit, may_review = can_submit(user, report), can_review(user, report)
    context = _ctx("duty", str(report), report=report, conflict=conflict, may_submit=may_submit,
                   may_review=may_review,
                   submit_form=submit_form or (SubmitReportForm(initial={"version": report.version})
                                               if may_submit else None),
                   comment_form=comment_form or (CommentForm(initial={"version": report.version})
                                                 if may_review else None))
    return render(request, T + "duty_detail.html", context, status=status)


@login_required
@require_GET
def duty_report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_report(request, _get_report(request, pk))


@login_required
@require_POST
def duty_report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report(request, pk)
    if report.author.user_id != request.user.pk:
        forbid(request, f"只能提交本人的履职报告；该报告的报告人是{report.author.name}", obj=report)
    form = SubmitReportForm(request.POST)
    if not form.is_valid():
        return _render_report(request, report, submit_form=form, status=400)
    try:
        do_submit_duty_report(report, content=form.cleaned_data["content"], acting_user=request.user,
                              expected_version=form.cleaned_data["version"])
    except ConflictError as exc:
        fresh = _get_report(request, pk)
        _with_version(form, fresh.version)
        return _render_report(request, fresh, submit_form=form, conflict=exc.messages[0], status=409)
    except ValidationError as exc:
        add_action_errors(form, exc)
        return _render_report(request, _get_report(request, pk), submit_form=form)
    messages.success(request, "履职报告已提交，台账中的任务已办结")
    return redirect("org:duty_report_detail", pk=report.pk)


@login_required
@require_POST
def duty_report_comment(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report(request, pk)
    if not can_review(request.user, report):
        forbid(request, "仅该单位的分管领导、班子成员或第一责任人可以审阅已提交的报告", obj=report)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _render_report(request, report, comment_form=form, status=400)
    try:
        do_comment_duty_report(report, text=form.cleaned_data["text"], mark_reviewed=form.cleaned_data["mark_reviewed"],
                               acting_user=request.user, expected_version=form.cleaned_data["version"])
    except ConflictError as exc:
        fresh = _get_report(request, pk)
        _with_version(form, fresh.version)
        return _render_report(request, fresh, comment_form=form, conflict=exc.messages[0], status=409)
    except ValidationError as exc:
        add_action_errors(form, exc)
        return _render_report(request, _get_report(request, pk), comment_form=form)
    messages.success(request, "审阅意见已提交")
    return redirect("org:duty_report_detail", pk=report.pk)


# --- contact points ---------------------------------------------------------------------------------


@login_required
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    qs = ContactPoint.objects.visible_to(request.user, "view").select_related("leader__unit", "unit")
    if request.GET.get("current") != "0":
        from django.utils import timezone

        qs = qs.filter(Q(end_date__isnull=True) | Q(end_date__gte=timezone.localdate()))
    context = _ctx("contacts", "联系点", can_coordinate=can_coordinate(request.user),
                   show_all=request.GET.get("current") == "0", **paginate(request, qs))
    return render(request, T + "contact_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    if not can_coordinate(request.user):
        forbid(request, "仅系统管理员或第一责任人可以登记联系点", object_type="org.contactpoint")
    form = ContactPointForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            do_create_contact_point(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "联系点已登记")
            return redirect("org:contact_list")
    return render(request, T + "form.html", _ctx("contacts", "登记联系点", form=form, submit="登记"))


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    point = ContactPoint.objects.select_related("leader", "unit").get_visible_or_404(request.user, "view", pk=pk)
    if not can_manage_unit(request.user, point.unit_id):
        forbid(request, "无权修改该联系点", obj=point)
    initial = {"version": point.version, "start_date": point.start_date, "end_date": point.end_date,
               "note": point.note}
    form = ContactPointEditForm(request.POST or None, initial=initial)
    status, conflict = 200, ""
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            do_update_contact_point(point, acting_user=request.user, expected_version=version, **data)
        except ConflictError as exc:
            point.refresh_from_db()
            _with_version(form, point.version)
            status, conflict = 409, exc.messages[0]
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "联系点已保存")
            return redirect("org:contact_list")
    title = f"修改联系点：{point.leader.name} → {point.unit.name}"
    return render(request, T + "form.html", _ctx("contacts", title, form=form, submit="保存", conflict=conflict),
                  status=status)


def unit_contact_points(unit: Unit, user: Any) -> list[ContactPoint]:
    """The leaders currently following a unit, for the unit page."""
    from django.utils import timezone

    today = timezone.localdate()
    return list(ContactPoint.objects.visible_to(user, "view").filter(unit=unit, start_date__lte=today)
                .filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).select_related("leader"))


def home_panel_context(request: HttpRequest) -> dict[str, Any]:
    """工作台: my letters waiting for my signature and my duty reports not yet submitted."""
    user = request.user
    letters = list(ResponsibilityLetter.objects.visible_to(user, "view")
                   .filter(addressee__user=user, status=LetterStatus.SENT).select_related("unit")[:5])
    reports = list(DutyReport.objects.visible_to(user, "view")
                   .filter(author__user=user, status=DutyReportStatus.PENDING).order_by("due_date")[:5])
    return {"letters": letters, "reports": reports}
