"""Related earlier posts, each with reasons a reader can check.

Signals, strongest first: an explicit reference from the essay; shared labels
(rare labels count more); shared quoted speakers; similar wording (BM25 over
the archive through SQLite FTS5). Candidates come from indexed queries, so a
query costs the same whether the archive holds 1,000 essays or 10,000.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.essays.model import Essay
from bot.essays.text import content_words
from bot.store import EssayBrief, EssayRow, Store, fts_query

logger = logging.getLogger(__name__)

REFERENCE_WEIGHT = 1.0
LABEL_WEIGHT = 0.6
SPEAKER_WEIGHT = 0.15
TEXT_WEIGHT = 0.5
THRESHOLD = 0.2
QUERY_TERMS = 12
CANDIDATES = 60


@dataclass(slots=True)
class RelatedPost:
    key: str
    title: str
    url: str | None
    published: date | None
    score: float
    reasons: list[str] = field(default_factory=list)
    referenced: bool = False


@dataclass(slots=True)
class _Candidate:
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    referenced: bool = False


def key_terms(text: str, title: str = "", *, limit: int = QUERY_TERMS) -> list[str]:
    """The essay's most characteristic words: frequent content words, title words counted thrice."""
    counts: Counter[str] = Counter(w for w in content_words(text) if len(w) > 2 and not w.isdigit())
    for word in content_words(title):
        if len(word) > 2 and not word.isdigit():
            counts[word] += 3
    return [word for word, _ in counts.most_common(limit)]


def _or_query(terms: list[str]) -> str | None:
    quoted = [q for q in (fts_query(t) for t in terms) if q]
    return " OR ".join(quoted) if quoted else None


async def related_to_essay(
    store: Store, target: EssayRow, *, limit: int = 5, any_time: bool = False
) -> list[RelatedPost]:
    """Stored essays related to ``target``, published before it unless ``any_time``."""
    essay = target.essay
    # Without a date "earlier" means nothing, so an undated essay compares with the whole archive.
    before = None if any_time else essay.published
    candidates: dict[int, _Candidate] = {}

    for key, text in await store.resolved_references(target.id):
        briefs = await store.briefs_by_key([key])
        brief = briefs.get(key)
        if brief is None or (before is not None and brief.published and brief.published >= before.date()):
            continue
        entry = candidates.setdefault(brief.id, _Candidate())
        if not entry.referenced:
            entry.referenced = True
            entry.score += REFERENCE_WEIGHT
            entry.reasons.append(f"referenced in this essay: “{_clip(text, 80)}”")

    await _add_label_signal(store, candidates, essay.labels, before=before, exclude_id=target.id)
    speakers = await store.quoted_speakers(target.id)
    by_speaker = await store.speaker_neighbours(speakers, before=before, exclude_id=target.id, limit=CANDIDATES)
    for essay_id, shared in by_speaker.items():
        entry = candidates.setdefault(essay_id, _Candidate())
        names = sorted(set(shared))
        entry.score += SPEAKER_WEIGHT * min(len(names), 2)
        entry.reasons.append("also quotes " + _join_names(names))
    await _add_text_signal(
        store, candidates, key_terms(essay.body_text, essay.title), before=before, exclude_id=target.id
    )
    return await _finish(store, candidates, limit)


async def related_to_text(
    store: Store, query: str, *, limit: int = 5, before: datetime | None = None
) -> list[RelatedPost]:
    """Stored essays about a free-text topic."""
    candidates: dict[int, _Candidate] = {}
    words = [w for w in content_words(query[:2000]) if len(w) > 1]
    await _add_label_signal(store, candidates, words, before=before, exclude_id=None)
    await _add_text_signal(store, candidates, words[:QUERY_TERMS], before=before, exclude_id=None)
    return await _finish(store, candidates, limit)


async def _add_label_signal(
    store: Store,
    candidates: dict[int, _Candidate],
    labels: tuple[str, ...] | list[str],
    *,
    before: datetime | None,
    exclude_id: int | None,
) -> None:
    if not labels:
        return
    shared_by_id, counts = await store.label_neighbours(
        list(labels), before=before, exclude_id=exclude_id, limit=CANDIDATES
    )
    if not counts:
        return
    total = max(sum(counts.values()), 1)
    # Inverse frequency, so "politics" on half the blog weighs less than "zoning".
    weights = {label: math.log(1 + total / n) for label, n in counts.items()}
    target_weight = sum(weights.values()) or 1.0
    for essay_id, shared in shared_by_id.items():
        entry = candidates.setdefault(essay_id, _Candidate())
        share = sum(weights.get(label, 0.0) for label in shared) / target_weight
        entry.score += LABEL_WEIGHT * (0.5 + 0.5 * share)
        entry.reasons.append("shares labels: " + ", ".join(sorted(shared)))


async def _add_text_signal(
    store: Store,
    candidates: dict[int, _Candidate],
    terms: list[str],
    *,
    before: datetime | None,
    exclude_id: int | None,
) -> None:
    match = _or_query(terms)
    if match is None:
        return
    hits = await store.text_neighbours(match, before=before, exclude_id=exclude_id, limit=CANDIDATES)
    if not hits:
        return
    best = hits[0][1] or 1.0
    for essay_id, score in hits:
        relative = score / best
        entry = candidates.setdefault(essay_id, _Candidate())
        entry.score += TEXT_WEIGHT * relative
        if relative >= 0.5:
            entry.reasons.append("similar wording on " + ", ".join(terms[:3]))


async def _finish(store: Store, candidates: dict[int, _Candidate], limit: int) -> list[RelatedPost]:
    ranked = sorted(
        ((eid, c) for eid, c in candidates.items() if c.referenced or c.score >= THRESHOLD),
        key=lambda item: (item[1].referenced, item[1].score),
        reverse=True,
    )[:limit]
    briefs = await store.briefs([eid for eid, _ in ranked])
    results: list[RelatedPost] = []
    for essay_id, candidate in ranked:
        brief: EssayBrief | None = briefs.get(essay_id)
        if brief is None:
            continue
        results.append(
            RelatedPost(
                key=brief.key,
                title=brief.title,
                url=brief.url,
                published=brief.published,
                score=round(candidate.score, 4),
                reasons=candidate.reasons,
                referenced=candidate.referenced,
            )
        )
    return results


def _clip(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def describe_target(essay: Essay) -> dict[str, object]:
    return {
        "key": essay.key,
        "title": essay.title,
        "url": essay.url,
        "published": essay.published.isoformat() if essay.published else None,
    }
