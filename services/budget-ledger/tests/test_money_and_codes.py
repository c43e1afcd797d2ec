from decimal import Decimal

import pytest

from budget_ledger.domain import codes
from budget_ledger.domain.money import kop_from_thousands, share_percent, thousands, ua_share, ua_thousands
from ecity_common.ua_codes import validate_edrpou


def test_the_report_figures_print_the_way_the_source_prints_them():
    assert ua_thousands(4_354_536_000) == "43 545,36 тис. грн"
    assert ua_thousands(823_666_000) == "8 236,66 тис. грн"
    assert ua_share(823_666_000, 4_354_536_000) == "18,92 %"
    assert ua_share(1_492_902_000, 8_170_520_000) == "18,27 %"
    assert ua_share(669_236_000, 3_815_984_000) == "17,54 %"
    assert ua_thousands(0) == "0,00 тис. грн" and ua_thousands(123_456_789_000) == "1 234 567,89 тис. грн"
    assert ua_share(5, 0) == "—"


def test_rounding_is_half_up_to_a_hundredth():
    assert thousands(500) == Decimal("0.01")  # 5,00 UAH = 0,005 thousand -> 0,01
    assert thousands(499) == Decimal("0.00")
    assert share_percent(1, 200_000) == Decimal("0.00")  # 0.0005 % -> 0.00
    assert share_percent(1, 20_000) == Decimal("0.01")  # 0.005 % -> 0.01 (half-up, not banker's)
    assert share_percent(25, 1000) == Decimal("2.50")


def test_thousands_parse_exactly():
    assert kop_from_thousands("43 545,36") == 4_354_536_000
    assert kop_from_thousands("43545.36") == 4_354_536_000
    assert kop_from_thousands("0,00001") == 1
    with pytest.raises(ValueError, match="precision"):
        kop_from_thousands("0,000001")


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (codes.kekv, "22400", "КЕКВ is 4 digits"),
        (codes.kekv, "2299", "not in the economic classification"),
        (codes.tpkvkmb, "75x0", "ТПКВКМБ is 4 digits"),
        (codes.kfkvk, "460", "КФКВК is 4 digits"),
        (codes.kpkvkmb, "021752", "КПКВКМБ is 7 digits"),
        (codes.kpkvkmb, "0207520", "executor level"),
        (codes.holder_code, "2", "2 digits"),
    ],
)
def test_bad_codes_name_the_rule(check, value, message):
    with pytest.raises(codes.CodeError, match=message):
        check(value)


def test_good_codes_pass():
    assert codes.kekv("3110") == "3110" and codes.kekv("2240") == "2240"
    assert codes.kpkvkmb("0217520", holder_code="02") == "0217520"
    with pytest.raises(codes.CodeError, match="must start with the holder's code 06"):
        codes.kpkvkmb("0217520", holder_code="06")


@pytest.mark.parametrize("code", ["32855961", "00032129", "14360506"])
def test_edrpou_check_digit_accepts_published_codes(code):
    # Test codes published with python-stdnum and in open check-digit references.
    assert validate_edrpou(code) == code


@pytest.mark.parametrize(("code", "message"), [("32855962", "check digit"), ("3285596", "8 digits"), ("3285596A", "8 digits")])
def test_edrpou_refusals_say_why(code, message):
    with pytest.raises(ValueError, match=message):
        validate_edrpou(code)
