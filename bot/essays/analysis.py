"""One entry point for the analysis of an essay: sections, quotes, figures, references."""

from __future__ import annotations

from collections.abc import Mapping

from bot.essays.figures import find_figures
from bot.essays.model import Analysis, Essay
from bot.essays.quotes import find_quotes
from bot.essays.references import find_references
from bot.essays.sections import find_sections


def analyse(essay: Essay, *, idf: Mapping[str, float] | None = None, max_sections: int = 6) -> Analysis:
    """Analyse one essay on its own; reference resolution against the archive is the caller's."""
    sections = find_sections(essay.blocks, max_sections=max_sections, idf=idf)
    published = essay.published_date
    return Analysis(
        sections=sections,
        quotes=find_quotes(sections, author=essay.author),
        figures=find_figures(sections, published=published),
        references=find_references(sections, published=published, blog_url=essay.url, links=essay.links),
    )
