import pytest

from yishi_text.cn_numbers import int_to_cn, parse_cn_int, to_int


@pytest.mark.parametrize(("text", "value"), [
    ("一", 1), ("两", 2), ("十", 10), ("十一", 11), ("十二", 12), ("二十", 20), ("二十四", 24),
    ("一百", 100), ("一百零五", 105), ("两千", 2000), ("二〇二六", 2026), ("廿", 20), ("一万二千", 12000),
])
def test_parse_cn_int(text, value):
    assert parse_cn_int(text) == value


def test_parse_cn_int_rejects_non_numerals():
    assert parse_cn_int("") is None
    assert parse_cn_int("十x") is None


@pytest.mark.parametrize(("token", "value"), [("12", 12), ("１２", 12), ("③", 3), ("⑳", 20), ("十二", 12), ("abc", None)])
def test_to_int_accepts_every_numeral_form(token, value):
    assert to_int(token) == value


@pytest.mark.parametrize("value", [1, 9, 10, 11, 12, 20, 21, 99, 100, 105, 110, 1000, 2026])
def test_int_to_cn_round_trips(value):
    assert parse_cn_int(int_to_cn(value)) == value


def test_int_to_cn_writes_office_style():
    assert [int_to_cn(n) for n in (1, 10, 12, 20)] == ["一", "十", "十二", "二十"]
