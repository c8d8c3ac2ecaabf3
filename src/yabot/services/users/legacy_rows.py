"""Rows of a legacy user export (JSON Lines or CSV), validated whole before anything is
written: every problem names its line and field."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from yabot.domain.clock import as_utc_or_none
from yabot.domain.views import PlanType, TelegramUser

FIELDS = ("telegram_user_id", "username", "first_name", "last_name", "language_code",
          "registration_date", "besitos", "plan_type", "plan_end_date")


class LegacyFileError(Exception):
    """The file cannot be imported; `problems` holds one line of text per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class LegacyUser(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    telegram_user_id: int = Field(gt=0, lt=10**15)
    username: str | None = Field(None, max_length=64)
    first_name: str | None = Field(None, max_length=256)
    last_name: str | None = Field(None, max_length=256)
    language_code: str | None = Field(None, max_length=16)
    registration_date: datetime | None = None
    besitos: int = Field(0, ge=0, le=10**12)
    plan_type: PlanType = "free"
    plan_end_date: datetime | None = None

    @field_validator("registration_date", "plan_end_date")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return as_utc_or_none(v)

    @field_validator("plan_end_date")
    @classmethod
    def _no_end_for_free(cls, v: datetime | None, info: Any) -> datetime | None:
        if v is not None and info.data.get("plan_type") == "free":
            raise ValueError("the free plan has no end date")
        return v

    @property
    def user_id(self) -> str:
        return str(self.telegram_user_id)

    def telegram_user(self) -> TelegramUser:
        return TelegramUser(id=self.telegram_user_id, username=self.username,
                            first_name=self.first_name, last_name=self.last_name,
                            language_code=self.language_code)


@dataclass(frozen=True)
class NumberedRow:
    line: int
    user: LegacyUser


def _records(text: str, suffix: str) -> list[tuple[int, Any]]:
    """(line number, raw record) pairs; a record that does not parse is kept as an error."""
    if suffix == ".jsonl":
        out: list[tuple[int, Any]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                out.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                out.append((number, ValueError(f"not valid JSON ({exc.msg})")))
        return out
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is None or "telegram_user_id" not in reader.fieldnames:
        return [(1, ValueError("the header row must name the column telegram_user_id"))]
    rows: list[tuple[int, Any]] = []
    for record in reader:
        extra = record.pop(None, None)  # type: ignore[call-overload,unused-ignore]
        rows.append((reader.line_num, ValueError(f"{len(extra)} value(s) more than the header has")
                     if extra else {k: v for k, v in record.items() if v != ""}))  # empty = missing
    return rows


def _problem(line: int, exc: ValidationError) -> list[str]:
    return [f"line {line}: {'.'.join(map(str, e['loc'])) or 'row'}: "
            f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]


def read_legacy_file(path: str | Path) -> list[NumberedRow]:
    """Parse and validate a whole export; LegacyFileError lists every bad line."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise LegacyFileError([f"{file}: the file must be .jsonl (JSON Lines) or .csv"])
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LegacyFileError([f"{file}: cannot read it ({exc})"]) from exc
    problems: list[str] = []
    rows: list[NumberedRow] = []
    first_line: dict[int, int] = {}
    for line, record in _records(text, suffix):
        if isinstance(record, ValueError):
            problems.append(f"line {line}: {record}")
            continue
        if not isinstance(record, dict):
            problems.append(f"line {line}: a row must be a JSON object")
            continue
        try:
            user = LegacyUser.model_validate(record)
        except ValidationError as exc:
            problems.extend(_problem(line, exc))
            continue
        if (seen := first_line.setdefault(user.telegram_user_id, line)) != line:
            problems.append(f"line {line}: telegram_user_id: {user.telegram_user_id} "
                            f"already appears on line {seen}")
            continue
        rows.append(NumberedRow(line, user))
    if problems:
        raise LegacyFileError(problems)
    return rows
