"""risks.demo.load_demo_risks: idempotent demo data on the demo organ."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from core.models import User
from risks.choices import CheckStatus, RiskLevel, RiskStatus
from risks.demo import load_demo_risks
from risks.models import Risk, RiskDomain, RiskFlag, ScreeningCampaign, SelfCheck

pytestmark = pytest.mark.django_db


def test_load_demo_risks_is_idempotent(media):
    call_command("load_demo", quiet=True)
    admin = User.objects.get(username="admin")
    load_demo_risks(admin)
    counts = (RiskDomain.objects.count(), Risk.objects.count(), ScreeningCampaign.objects.count())
    assert counts[0] >= 6 and 12 <= counts[1] <= 20 and counts[2] == 1
    assert Risk.objects.filter(level=RiskLevel.MAJOR, is_flagged=True).exists()
    assert RiskFlag.objects.count() == 1
    assert Risk.objects.filter(status=RiskStatus.CLOSED).exists()
    assert SelfCheck.objects.filter(status=CheckStatus.SUBMITTED).exists()
    assert SelfCheck.objects.exclude(status=CheckStatus.SUBMITTED).exists()
    assert {lv for lv in Risk.objects.values_list("level", flat=True)} == set(RiskLevel.values)
    load_demo_risks(admin)
    assert (RiskDomain.objects.count(), Risk.objects.count(), ScreeningCampaign.objects.count()) == counts
