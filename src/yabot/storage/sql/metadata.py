"""The one SQLAlchemy `MetaData` every table module joins. Its own module so that the
per-context table modules (tables_economy.py, …) import it without importing tables.py,
which imports them all at its end (no import cycle)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
