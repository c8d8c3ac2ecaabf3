"""Parsing and validation of legacy exports: every problem names its line and field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from yabot.services.users.legacy_rows import LegacyFileError, read_legacy_file


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_rows_with_defaults_and_utc_dates(tmp_path: Path) -> None:
    path = _write(tmp_path, "u.jsonl",
                  '{"telegram_user_id": 7, "first_name": "Ana", "besitos": 4, '
                  '"plan_type": "vip", "plan_end_date": "2031-05-01T12:00:00+02:00"}\n'
                  "\n"
                  '{"telegram_user_id": 8, "registration_date": "2024-01-02"}\n')

    rows = read_legacy_file(path)

    assert [(r.line, r.user.telegram_user_id) for r in rows] == [(1, 7), (3, 8)]
    assert rows[0].user.plan_end_date == datetime(2031, 5, 1, 10, 0, tzinfo=UTC)
    assert rows[1].user.plan_type == "free" and rows[1].user.besitos == 0
    assert rows[1].user.registration_date == datetime(2024, 1, 2, tzinfo=UTC)


def test_csv_empty_cells_are_missing_values(tmp_path: Path) -> None:
    path = _write(tmp_path, "u.csv", "telegram_user_id,username,besitos,plan_type\n"
                                     "5,,3,\n6,luz,,premium\n")

    rows = read_legacy_file(path)

    assert [(r.user.username, r.user.besitos, r.user.plan_type) for r in rows] == [
        (None, 3, "free"), ("luz", 0, "premium")]


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("u.jsonl", '{"telegram_user_id": 1}\n{"besitos": 2}\n',
     ["line 2: telegram_user_id: Field required"]),
    ("u.jsonl", '{"telegram_user_id": 1}\n{not json\n', ["line 2: not valid JSON"]),
    ("u.jsonl", '[1, 2]\n', ["line 1: a row must be a JSON object"]),
    ("u.jsonl", '{"telegram_user_id": 3, "besitos": -1}\n',
     ["line 1: besitos: Input should be greater than or equal to 0"]),
    ("u.jsonl", '{"telegram_user_id": 3, "plan_type": "gold"}\n', ["line 1: plan_type:"]),
    ("u.jsonl", '{"telegram_user_id": 3, "plan_end_date": "2030-01-01"}\n',
     ["line 1: plan_end_date: the free plan has no end date"]),
    ("u.csv", "telegram_user_id,registration_date\n4,yesterday\n",
     ["line 2: registration_date:"]),
    ("u.csv", "telegram_user_id\n4\n4\n",
     ["line 3: telegram_user_id: 4 already appears on line 2"]),
    ("u.csv", "username\nana\n", ["line 1: the header row must name the column telegram_user_id"]),
    ("u.csv", "telegram_user_id,username\n4,a,b\n", ["line 2: 1 value(s) more than the header"]),
    ("u.txt", "", ["the file must be .jsonl (JSON Lines) or .csv"]),
])
def test_bad_rows_are_named(tmp_path: Path, name: str, text: str, expected: list[str]) -> None:
    with pytest.raises(LegacyFileError) as caught:
        read_legacy_file(_write(tmp_path, name, text))

    assert len(caught.value.problems) == len(expected), caught.value.problems
    for problem, start in zip(caught.value.problems, expected, strict=True):
        assert start in problem, problem


def test_every_bad_line_is_reported_at_once(tmp_path: Path) -> None:
    path = _write(tmp_path, "u.jsonl", '{"telegram_user_id": 0}\n{"telegram_user_id": 2}\n'
                                       '{"telegram_user_id": "x"}\n')
    with pytest.raises(LegacyFileError) as caught:
        read_legacy_file(path)
    assert [p.split(":")[0] for p in caught.value.problems] == ["line 1", "line 3"]
