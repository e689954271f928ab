"""From an obligation's frequency to dated periods: which tasks, with which working-day due dates.

Rules (docs/ledger.md explains them to users):

- monthly → 12 tasks, each due on the last working day of its month;
- bimonthly → 6 (Feb, Apr … Dec); quarterly → 4; semiannual → 2 (June, December);
- weekly → one task per month counting that month's weeks (a ledger of 52 rows per unit per duty
  helps nobody; "本月 4 次" with progress 2/4 is what offices keep);
- yearly → one task for the year, due on the year's last working day, or earlier when the text gives
  a timing (年初 → end of February, 上半年 → end of June, "9月底前" → end of September …);
- a count ("全年不少于12次") becomes the task's target: progress N/12, not 12 tasks;
- daily and continuous duties are not tasks at all: they become a duty roster and log.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from core import workdays

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
              "十一": 11, "十二": 12}


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime.date
    due: datetime.date
    target: int


def _month_end(year: int, month: int) -> datetime.date:
    return workdays.last_workday_of_month(year, month)


def _weeks_ending_in(year: int, month: int) -> int:
    """Weeks (Mon–Sun) whose Sunday falls in the month: each week is counted in exactly one month."""
    days = calendar.monthrange(year, month)[1]
    return sum(1 for day in range(1, days + 1) if datetime.date(year, month, day).weekday() == 6)


def _month_number(text: str) -> int | None:
    match = re.match(r"(1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])月", text)
    if not match:
        return None
    token = match.group(1)
    return int(token) if token.isdigit() else _CN_DIGITS.get(token)


def timing_due(year: int, timing: str | None) -> datetime.date | None:
    """The due date a timing hint implies, on the working-day calendar; None if it says nothing."""
    if not timing:
        return None
    text = timing.strip()
    if text.startswith("年初"):
        return _month_end(year, 2)  # 年初 work is expected done by the end of February
    if text.startswith(("上半年", "年中")):
        return workdays.last_workday_of_half(year, 1)
    if text.startswith(("下半年", "年底", "年末", "岁末")):
        return workdays.last_workday_of_year(year)
    quarter = re.match(r"第?([一二三四1-4])季度", text)
    if quarter:
        q = quarter.group(1)
        return workdays.last_workday_of_quarter(year, int(q) if q.isdigit() else _CN_DIGITS[q])
    month = _month_number(text)
    if month is None:
        return None
    day = re.search(r"月([1-3]?\d)日", text)
    if day:
        last = calendar.monthrange(year, month)[1]
        return workdays.previous_workday(datetime.date(year, month, min(int(day.group(1)), last)), include_self=True)
    if "上旬" in text or "初" in text:
        return workdays.previous_workday(datetime.date(year, month, 10), include_self=True)
    if "中旬" in text:
        return workdays.previous_workday(datetime.date(year, month, 20), include_self=True)
    return _month_end(year, month)


def periods_for(frequency: str, year: int, times: int | None, timing: str | None = None) -> list[Period]:
    """The periods of `year` an obligation of this frequency produces (empty for duties)."""
    per = max(times or 1, 1)
    if frequency == "monthly":
        return [Period(f"{year}年{m}月", datetime.date(year, m, 1), _month_end(year, m), per) for m in range(1, 13)]
    if frequency == "weekly":
        return [
            Period(f"{year}年{m}月（每周）", datetime.date(year, m, 1), _month_end(year, m), per * _weeks_ending_in(year, m))
            for m in range(1, 13)
        ]
    if frequency == "bimonthly":
        return [
            Period(f"{year}年{m - 1}—{m}月", datetime.date(year, m - 1, 1), _month_end(year, m), per)
            for m in range(2, 13, 2)
        ]
    if frequency == "quarterly":
        names = "一二三四"
        return [
            Period(f"{year}年第{names[q - 1]}季度", datetime.date(year, 3 * q - 2, 1),
                   workdays.last_workday_of_quarter(year, q), per)
            for q in range(1, 5)
        ]
    if frequency == "semiannual":
        return [
            Period(f"{year}年上半年", datetime.date(year, 1, 1), workdays.last_workday_of_half(year, 1), per),
            Period(f"{year}年下半年", datetime.date(year, 7, 1), workdays.last_workday_of_half(year, 2), per),
        ]
    if frequency == "yearly":
        due = timing_due(year, timing) or workdays.last_workday_of_year(year)
        return [Period(f"{year}年度", datetime.date(year, 1, 1), due, per)]
    return []  # daily / continuous: a duty roster, not tasks
