"""Every package the code imports is named in pyproject.toml, where its users can get it.

A fresh install gets only what the dependency list names: a module that arrives today through
another package (or through an extra whose name older pips do not match) is one upgrade away
from an ImportError on a new user's machine.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LOCAL = {"bot", "cogs", "tests", "bench"}
# Which lists each part of the tree may draw on.
PARTS = {
    # The PostgreSQL backend imports its driver only when DATABASE_URL selects it (bot/store/backend_choice.py).
    "bot": ["dependencies", "postgres"],
    "cogs": ["dependencies"],
    "tests": ["dependencies", "test"],
    "bench": ["dependencies", "test", "bench", "embeddings"],
}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(*lists: str) -> set[str]:
    requirements: list[str] = []
    for name in lists:
        requirements += PROJECT["dependencies"] if name == "dependencies" else PROJECT["optional-dependencies"][name]
    return {normalise(re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0]) for requirement in requirements}


def imported_modules(folder: Path) -> set[str]:
    modules: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - LOCAL - set(sys.stdlib_module_names) - {"__future__"}


@pytest.mark.parametrize("part", sorted(PARTS))
def test_every_imported_package_is_a_named_dependency(part: str) -> None:
    distributions = importlib.metadata.packages_distributions()
    allowed = requirement_names(*PARTS[part])
    missing = {
        module: names
        for module in imported_modules(ROOT / part)
        # A module of a package not installed here (a bench extra) is known by its own name.
        if not allowed & (names := {normalise(d) for d in distributions.get(module, [module])})
    }
    assert missing == {}, f"imported in {part}/ but not named in pyproject.toml: {missing}"


def test_the_html_cleaner_that_article_extraction_imports_is_installed_and_named() -> None:
    """trafilatura → jusText → lxml.html.clean, a separate project since lxml 5.2."""
    import trafilatura  # noqa: F401  (fails at import without lxml_html_clean)

    assert "lxml-html-clean" in requirement_names("dependencies")
