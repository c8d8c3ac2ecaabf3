"""Build hook: compile the gettext catalogs (.po -> .mo) whenever the package is built.

`pip install .` (the Docker image) and `pip install -e .` (`make install`) both run it; the
.mo files are build outputs, never committed. Everything else is in pyproject.toml.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

LOCALES = Path(__file__).resolve().parent / "src" / "yabot" / "locales"


def compile_catalogs() -> None:
    """Every locales/<lang>/LC_MESSAGES/<domain>.po into its .mo (fuzzy entries left out)."""
    for po in sorted(LOCALES.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as fp:
            catalog = read_po(fp, locale=po.parent.parent.name, domain=po.stem)
        with po.with_suffix(".mo").open("wb") as fp:
            write_mo(fp, catalog, use_fuzzy=False)


class BuildPyWithCatalogs(build_py):
    def run(self) -> None:
        compile_catalogs()
        self.__dict__.pop("data_files", None)  # list the package data again, .mo included
        super().run()


setup(cmdclass={"build_py": BuildPyWithCatalogs})
