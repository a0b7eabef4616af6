"""Related earlier posts, each with reasons a reader can check.

Signals, strongest first:

* an explicit reference from the essay (always shown, and ranked first);
* similar wording: BM25 over the archive (SQLite FTS5) for the essay's key words, divided by
  the essay's own BM25 for the same words, so it is a similarity in 0..1 that means the same
  on any archive, rather than "the best of whatever matched";
* shared labels, each weighed by how specific it is (``log(N/n) / log(N)``: a label on every
  post says nothing, one on 2 of 1,000 says a lot);
* shared quoted speakers, a small boost.

A post is returned when referenced or when its score reaches ``THRESHOLD``; a common label
alone, or a few common words alone, stay below it. Candidates come from one FTS5 query with
a few terms, one label query bounded by ``LABEL_ROW_BUDGET`` and lookups by id, so a query
stays fast at 10,000 essays (see bench/README.md).
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.essays.model import Essay
from bot.essays.text import content_words, stem, words
from bot.store import EssayBrief, EssayRow, Store, fts_query

logger = logging.getLogger(__name__)

REFERENCE_WEIGHT = 1.0
LABEL_WEIGHT = 0.6
SPEAKER_WEIGHT = 0.1  # per shared speaker, two at most
TEXT_WEIGHT = 0.6
THRESHOLD = 0.3
# Few terms: each OR term costs a posting-list scan, and the heaviest few carry the similarity.
QUERY_TERMS = 8
# The essay's most frequent words probed for how many posts hold them, to keep the rarer ones.
PROBED_TERMS = 12
# A word in at least this share of posts is left out of the query: it says little about the
# topic and its posting list is the longest to scan.
COMMON_SHARE = 0.25
# FTS5 scores every posting of every OR term; the query's words are chosen, best first, until
# their postings add up to this, so its cost is bounded however large the archive grows.
POSTING_BUDGET = 3000
CANDIDATES = 40
# At most this many label rows are read to find posts related by labels alone; the rarest
# labels come first, and a label too common to fit only adds to posts found otherwise.
LABEL_ROW_BUDGET = 600
# "similar wording" is given as a reason from this similarity up.
WORDING_REASON = 0.2
MAX_QUERY_CHARS = 2000
# Bare URLs in a body ("http", "www", "com") are not wording.
_URL_RE = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)


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
    reference: str | None = None
    labels: list[str] = field(default_factory=list)
    label_share: float = 0.0
    speakers: list[str] = field(default_factory=list)
    similarity: float = 0.0

    @property
    def score(self) -> float:
        return (
            (REFERENCE_WEIGHT if self.reference is not None else 0.0)
            + LABEL_WEIGHT * min(1.0, self.label_share)
            + SPEAKER_WEIGHT * min(2, len(self.speakers))
            + TEXT_WEIGHT * self.similarity
        )


def key_terms(text: str, title: str = "", *, limit: int = QUERY_TERMS) -> list[str]:
    """The essay's most characteristic words: frequent content words, title words counted thrice.

    Inflections are counted together ("tenant", "tenants") and the commonest form is kept,
    since FTS5's stemmer matches the others anyway.
    """
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for source, weight in ((text, 1), (title, 3)):
        for word in content_words(_URL_RE.sub(" ", source)):
            if len(word) > 2:
                root = stem(word)
                counts[root] += weight
                forms.setdefault(root, Counter())[word] += 1
    return [forms[root].most_common(1)[0][0] for root, _ in counts.most_common(limit)]


async def _query_terms(store: Store, frequent: list[str], total: int) -> list[str]:
    """The ``QUERY_TERMS`` words of ``frequent`` (most frequent first) with the best tf-idf.

    A word only the essay itself holds finds no neighbour, but it stays: it raises the
    essay's own score, so a post sharing only its incidental words is not called similar.
    """
    quoted = [(term, fts_query(term, max_terms=1)) for term in frequent]
    probes = [(term, match) for term, match in quoted if match]
    if not probes or total < 1:
        return []
    # Counting stops at the cap, which bounds the probe's cost as well.
    cap = max(20, min(int(total * COMMON_SHARE), POSTING_BUDGET // 2))
    counts = await store.document_counts([match for _, match in probes], cap=cap)
    weighted: list[tuple[float, str, int]] = []
    for rank, ((term, _), count) in enumerate(zip(probes, counts, strict=True)):
        if count == 0 or count >= cap or count >= total:
            continue
        # Rank stands in for the term frequency: ``frequent`` is already in that order.
        weighted.append(((PROBED_TERMS - rank) * math.log(total / count), term, count))
    weighted.sort(key=lambda item: item[0], reverse=True)
    chosen: list[str] = []
    postings = 0
    for _, term, count in weighted:
        if len(chosen) == QUERY_TERMS or (chosen and postings + count > POSTING_BUDGET):
            break
        chosen.append(term)
        postings += count
    return chosen


def _or_query(terms: list[str]) -> str | None:
    quoted = [q for q in (fts_query(t, max_terms=1) for t in terms) if q]
    return " OR ".join(quoted) if quoted else None


async def related_to_essay(
    store: Store, target: EssayRow, *, limit: int = 5, any_time: bool = False
) -> list[RelatedPost]:
    """Stored essays related to ``target``, published before it unless ``any_time``."""
    essay = target.essay
    # Without a date "earlier" means nothing, so an undated essay compares with the whole archive.
    before = None if any_time else essay.published
    candidates: dict[int, _Candidate] = {}
    await _add_references(store, candidates, target.id, before=before)
    total = await store.essay_count()
    terms = await _query_terms(store, key_terms(essay.body_text, essay.title, limit=PROBED_TERMS), total)
    await _add_text(store, candidates, terms, before=before, target_id=target.id)
    await _add_labels(store, candidates, list(essay.labels), total, before=before, exclude_id=target.id)
    await _add_speakers(store, candidates, await store.quoted_speakers(target.id))
    return await _finish(store, candidates, limit, terms)


async def related_to_text(
    store: Store, query: str, *, limit: int = 5, before: datetime | None = None
) -> list[RelatedPost]:
    """Stored essays about a free-text topic; any text is safe (it never reaches FTS5 as syntax)."""
    query = query[:MAX_QUERY_CHARS]
    candidates: dict[int, _Candidate] = {}
    total = await store.essay_count()
    terms = await _query_terms(store, key_terms(query, limit=PROBED_TERMS), total)
    await _add_text(store, candidates, terms, before=before, target_id=None)
    await _add_labels(store, candidates, _label_phrases(query), total, before=before, exclude_id=None)
    return await _finish(store, candidates, limit, terms)


def _label_phrases(query: str) -> list[str]:
    """Words and two- and three-word phrases of a query: the ways a label can appear in it."""
    tokens = words(query)[:300]
    phrases = [" ".join(tokens[i : i + n]) for n in (1, 2, 3) for i in range(len(tokens) - n + 1)]
    return list(dict.fromkeys(phrases))


async def _add_references(
    store: Store, candidates: dict[int, _Candidate], essay_id: int, *, before: datetime | None
) -> None:
    references = await store.resolved_references(essay_id)
    briefs = await store.briefs_by_key([key for key, _ in references])
    for key, text in references:
        brief = briefs.get(key)
        if brief is None or brief.id == essay_id:
            continue
        if before is not None and brief.published is not None and brief.published >= before.date():
            continue
        entry = candidates.setdefault(brief.id, _Candidate())
        if entry.reference is None:
            entry.reference = text


async def _add_text(
    store: Store,
    candidates: dict[int, _Candidate],
    terms: list[str],
    *,
    before: datetime | None,
    target_id: int | None,
) -> None:
    match = _or_query(terms)
    if match is None:
        return
    hits, own = await store.text_neighbours(match, before=before, limit=CANDIDATES, target_id=target_id)
    if not hits:
        return
    # A free-text query has no essay of its own to compare with; its best hit stands in.
    scale = own if own else hits[0][1]
    if scale <= 0:
        return
    for essay_id, score in hits:
        candidates.setdefault(essay_id, _Candidate()).similarity = min(1.0, score / scale)


async def _add_labels(
    store: Store,
    candidates: dict[int, _Candidate],
    labels: list[str],
    total: int,
    *,
    before: datetime | None,
    exclude_id: int | None,
) -> None:
    counts = await store.label_counts(labels)
    if not counts or total < 2:
        return
    specificity = {label: math.log(total / n) / math.log(total) for label, n in counts.items()}
    within_budget: dict[str, float] = {}
    rows = 0
    for label, n in sorted(counts.items(), key=lambda item: (item[1], item[0])):
        if rows + n > LABEL_ROW_BUDGET:
            break
        rows += n
        within_budget[label] = specificity[label]
    found = await store.label_neighbours(within_budget, before=before, exclude_id=exclude_id, limit=CANDIDATES)
    for essay_id in found:
        candidates.setdefault(essay_id, _Candidate())
    shared = await store.shared_labels(list(candidates), list(counts))
    for essay_id, labels_shared in shared.items():
        entry = candidates[essay_id]
        entry.labels = sorted(labels_shared)
        entry.label_share = sum(specificity.get(label, 0.0) for label in labels_shared)


async def _add_speakers(store: Store, candidates: dict[int, _Candidate], speakers: list[str]) -> None:
    """Shared quoted speakers add to posts already found; alone they are too weak a tie."""
    for essay_id, shared in (await store.shared_speakers(list(candidates), speakers)).items():
        candidates[essay_id].speakers = sorted(set(shared))


async def _finish(store: Store, candidates: dict[int, _Candidate], limit: int, terms: list[str]) -> list[RelatedPost]:
    ranked = sorted(
        ((eid, c) for eid, c in candidates.items() if c.reference is not None or c.score >= THRESHOLD),
        key=lambda item: (item[1].reference is not None, round(item[1].score, 6), item[0]),
        reverse=True,
    )[:limit]
    ids = [eid for eid, _ in ranked]
    briefs = await store.briefs(ids)
    wording = [eid for eid, c in ranked if c.similarity >= WORDING_REASON]
    texts = await store.essay_texts(wording) if wording and terms else {}
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
                reasons=_reasons(candidate, terms, texts.get(essay_id)),
                referenced=candidate.reference is not None,
            )
        )
    return results


def _reasons(candidate: _Candidate, terms: list[str], text: str | None) -> list[str]:
    reasons: list[str] = []
    if candidate.reference is not None:
        reasons.append(f"referenced in this essay: “{_clip(candidate.reference, 80)}”")
    if candidate.labels:
        reasons.append("shares labels: " + ", ".join(candidate.labels))
    if candidate.speakers:
        reasons.append("also quotes " + _join_names(candidate.speakers))
    if candidate.similarity >= WORDING_REASON:
        shared = _shared_terms(terms, text) if text else []
        reasons.append("similar wording" + (": " + ", ".join(shared[:4]) if shared else ""))
    return reasons


def _shared_terms(terms: list[str], text: str) -> list[str]:
    """The query terms that really occur in ``text`` (lowercased), inflections included."""
    return [t for t in terms if re.search(rf"\b{re.escape(stem(t))}", text)]


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
