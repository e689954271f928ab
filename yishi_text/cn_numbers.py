"""Chinese numerals as office documents write them: 一, 十二, 二十, 两, 一百零五, 二〇二六, ①, １２.

Plans number their parts 一、二、…十一、, count with 一次/两次/十二次 as often as with 1次/12次, and
sometimes write the year as 二〇二六年. Everything here is pure and small; callers pass the matched
token, never free text.
"""

from __future__ import annotations

import unicodedata

_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3,
           "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
           "九": 9, "玖": 9}
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_SHORTHAND = {"廿": 20, "卅": 30}

# For regular expressions: one or more of these characters make a Chinese number.
CN_NUMERAL_CHARS = "〇零○一二两三四五六七八九十百千万廿卅壹贰叁肆伍陆柒捌玖拾佰仟"
# ① … ⑳ (U+2460–U+2473): some plans number sub-points with circled digits.
CIRCLED = "".join(chr(0x2460 + i) for i in range(20))


def _small_cn(text: str) -> int | None:
    """0–9999 written with 十/百/千 units (一百零五, 十二, 两千); None if malformed."""
    total, digit = 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            # "十二" has no digit before 十: it means one ten.
            total += (1 if digit is None else digit) * _UNITS[ch]
            digit = None
        elif ch in _SHORTHAND:
            total += _SHORTHAND[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


def parse_cn_int(text: str) -> int | None:
    """A Chinese numeral → int, or None. Digit strings without units (二〇二六) read digit by digit."""
    text = text.strip()
    if not text:
        return None
    if all(ch in _DIGITS for ch in text) and len(text) > 1:
        value = 0
        for ch in text:
            value = value * 10 + _DIGITS[ch]
        return value
    if "万" in text:
        high, _, low = text.partition("万")
        high_value = _small_cn(high) if high else 1
        low_value = _small_cn(low) if low else 0
        if high_value is None or low_value is None:
            return None
        return high_value * 10000 + low_value
    return _small_cn(text)


def to_int(token: str) -> int | None:
    """Arabic (also full-width １２), circled (①) or Chinese numerals → int; None when it is none of them."""
    token = token.strip()
    if not token:
        return None
    if len(token) == 1 and token in CIRCLED:
        return CIRCLED.index(token) + 1
    folded = unicodedata.normalize("NFKC", token)
    if folded.isascii() and folded.isdigit():
        return int(folded)
    return parse_cn_int(token)


def int_to_cn(value: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五 (for rebuilding Word's 一、 numbering)."""
    if value <= 0:
        return "零"
    names = "零一二三四五六七八九"
    parts: list[str] = []
    pending_zero = False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = value // unit_value % 10
        if digit == 0:
            pending_zero = bool(parts)
            continue
        if pending_zero:
            parts.append("零")
            pending_zero = False
        # 十二, not 一十二, when ten is the leading unit.
        if not (unit == "十" and digit == 1 and not parts):
            parts.append(names[digit])
        parts.append(unit)
    return "".join(parts)
