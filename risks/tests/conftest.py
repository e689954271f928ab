"""Fixtures of the risks tests: domains with checklist points, a 重大 risk, evidence files."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core import workdays
from core.files import store_upload
from risks import actions

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def workday(n: int = 10) -> datetime.date:
    return workdays.add_workdays(timezone.localdate(), n)


@pytest.fixture
def domains(world):
    made = []
    for i, (name, points) in enumerate([("理论学习", ["中心组学习流于形式", "第一议题落实不到位"]),
                                        ("网络阵地", ["网站栏目内容更新不及时", "评论区管理缺位"])]):
        domain = actions.do_save_domain(None, name=name, sort_order=i, acting_user=world.admin)
        for j, text in enumerate(points):
            actions.do_save_point(None, domain=domain, text=text, sort_order=j, acting_user=world.admin)
        made.append(domain)
    return made


def pdf(name: str = "整改报告.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def evidence(user, unit):
    return store_upload(pdf(), unit=unit, user=user, purpose="risks.evidence")


def make_risk(world, domains, *, unit=None, likelihood=5, impact=5, owner=None, title="网站评论区出现错误言论",
              user=None):
    return actions.create_risk(
        unit=unit or world.unit_a, title=title, description="评论区缺少审核，出现错误言论", domain=domains[1],
        likelihood=likelihood, impact=impact, deadline=workday(20), owner=owner, acting_user=user or world.head_a,
        source="report")
