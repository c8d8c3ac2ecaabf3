"""Pure logic of the panel: language choice, cookie signatures, the chart, credentials."""

from __future__ import annotations

import pytest

from yabot.admin.chart import bar_chart
from yabot.admin.guards import Signer, same
from yabot.admin.i18n import pick_language, translator
from yabot.services.admin.accounts import check_credentials


@pytest.mark.parametrize(("header", "expected"), [
    (None, "es"), ("", "es"), ("en", "en"), ("en-US,en;q=0.9", "en"), ("es-ES,en;q=0.8", "es"),
    ("fr,en;q=0.5", "en"), ("de", "es"), ("en;q=0.2,es;q=0.8", "es"), ("en;q=bad", "es"),
])
def test_pick_language(header: str | None, expected: str) -> None:
    assert pick_language(header) == expected


def test_translator_falls_back_to_spanish_and_formats() -> None:
    assert translator("en")("page", page=1, pages=2, total=3) == "Page 1 of 2 (3 in all)"
    assert translator("xx")("login") == "Iniciar sesión"


def test_signatures() -> None:
    signer = Signer(b"k" * 32)
    signed = signer.sign("token")
    assert signer.unsign(signed) == "token"
    assert signer.unsign(signed[:-1] + ("A" if signed[-1] != "A" else "B")) is None
    assert Signer(b"x" * 32).unsign(signed) is None
    assert signer.unsign(None) is None and signer.unsign("nodot") is None
    assert same("abc", "abc") and not same("abd", "abc") and not same(None, "abc")
    assert not same("", "")


def test_chart_scales_to_the_busiest_minute() -> None:
    chart = bar_chart([0, 5, 10])
    assert chart.peak == 10 and chart.total == 15
    assert chart.bars[0].height == 0 and chart.bars[2].height > chart.bars[1].height > 0
    assert [b.minutes_ago for b in chart.bars] == [3, 2, 1]
    assert bar_chart([0, 0]).peak == 0


@pytest.mark.parametrize(("user", "password"), [
    ("ok_user", "short"), ("bad name", "long enough password"), ("", "long enough password"),
    ("x" * 65, "long enough password"), ("ok", "p" * 1025)])
def test_bad_credentials(user: str, password: str) -> None:
    with pytest.raises(ValueError, match=r"username|password"):
        check_credentials(user, password)
