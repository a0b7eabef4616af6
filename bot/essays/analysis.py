"""One entry point for the analysis of an essay: sections, quotes, figures, references.

Analysis never raises on any text. Each analyser runs on its own: should one still fail
on some essay (a bug no test has met yet), its output is left out, the failure is logged
with its traceback and named in ``Analysis.failures``, and the essay is stored and posted
without it, so one odd sentence can never stop a feed or a folder.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from bot.essays.figures import find_figures
from bot.essays.model import Analysis, Essay, Section
from bot.essays.quotes import find_quotes
from bot.essays.references import find_references
from bot.essays.sections import DEFAULT_MAX_SECTIONS, find_sections, trim_title
from bot.essays.terms import Terms, essay_terms

logger = logging.getLogger(__name__)

T = TypeVar("T")


def analyse(essay: Essay, *, max_sections: int = DEFAULT_MAX_SECTIONS) -> Analysis:
    """Analyse one essay on its own; reference resolution against the archive is the caller's."""
    failures: list[str] = []

    def guarded(name: str, run: Callable[[], list[T]], fallback: Callable[[], list[T]]) -> list[T]:
        try:
            return run()
        except Exception as exc:
            logger.exception("the %s analysis failed on essay %r (%s)", name, essay.key or essay.title, essay.url)
            detail = str(exc)[:120]
            failures.append(f"{name} ({type(exc).__name__}: {detail})" if detail else f"{name} ({type(exc).__name__})")
            return fallback()

    sections = guarded(
        "sections",
        lambda: find_sections(essay.blocks, max_sections=max_sections),
        lambda: whole_essay_section(essay),
    )
    published = essay.published_date
    return Analysis(
        sections=sections,
        quotes=guarded("quotes", lambda: find_quotes(sections, author=essay.author, site_name=essay.site_name), list),
        figures=guarded("figures", lambda: find_figures(sections, published=published), list),
        references=guarded(
            "references",
            lambda: find_references(sections, published=published, blog_url=essay.url, links=essay.links),
            list,
        ),
        failures=failures,
        terms=guarded_terms(essay, failures),
    )


def guarded_terms(essay: Essay, failures: list[str]) -> Terms | None:
    """The related-post terms; like any analyser, a failure leaves them out (the store computes them)."""
    try:
        return essay_terms(essay.title, essay.blocks)
    except Exception as exc:
        logger.exception("the related terms failed on essay %r", essay.key or essay.title)
        failures.append(f"related terms ({type(exc).__name__})")
        return None


def whole_essay_section(essay: Essay) -> list[Section]:
    """The essay as one section: what is posted when sectioning itself failed."""
    if not essay.blocks:
        return []
    title = trim_title(essay.title) or "The essay"
    return [Section(index=1, title=title, blocks=tuple(essay.blocks), start=0, end=len(essay.blocks))]
