"""Related posts, each with reasons a reader can check.

The ranking is carried by the text, so it works on blogs without labels:

* **wording**: a tf-idf cosine between the essay and each candidate over Snowball stems
  (title words count thrice, headings twice), with sublinear term frequency. Each essay's stem
  counts are stored at ingest (``bot/essays/terms.py``); the idf comes from the live document
  counts at query time, and a candidate is normalised by its term-frequency length, which holds
  no archive statistic, so nothing stored goes stale as the archive grows. Words no other post
  uses are left out: they cannot make two posts similar.
* **nearness in time**, a small prior: an author's subjects come in runs (a series, a project,
  a season), so of two equally similar posts the one written nearer the essay is preferred.
  Its scale is the time this archive takes to publish ``TIME_SCALE_POSTS`` posts.
* **shared neighbours**: each essay keeps its ``NEIGHBOURS`` nearest posts in the whole archive
  (by wording and time, made when it is stored: ``add_to_neighbourhoods``), and a post near
  many of the same posts as the essay is related to it even when their own wording says too
  little (short posts: a link and two lines).
* an explicit **reference** from the essay (always shown, and ranked first);
* shared **labels**, each weighed by how specific it is (``log(N/n) / log(N)``: a label on every
  post says nothing);
* shared quoted **speakers**, a small boost.

Candidates come from the essay's stored neighbourhood (the answer of a text query made when it
was stored and kept as the archive grows), the posts whose own lists hold several of its
neighbours, the label and speaker lookups, and the references. When the server's scope or the
date leaves fewer neighbours than asked for, and for free text, the champion lists of the query's
most distinctive stems add text candidates (each stem's heaviest posts, kept as essays are stored:
``_champions``); one FTS5 query over its words does when those lists hold too few (bounded by
``LIST_POSTING_BUDGET`` for an essay, as the lists' own query, and ``POSTING_BUDGET`` for free
text). They are then scored exactly from their stored stem counts, so a query stays fast at
10,000 essays.

The threshold is relative to the archive: the essay is compared with an evenly spread sample of
the archive's posts (what arbitrary posts have in common with it), and a post is returned only
when it stands out of that background (see ``_stand_out``).
"""

from __future__ import annotations

import heapq
import logging
import math
import statistics
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.essays.model import Essay
from bot.essays.terms import Terms, essay_terms, text_terms, tf_weight
from bot.essays.text import words
from bot.store import ArchiveSpan, EssayBrief, EssayRow, RelatedVector, StemStatistic, Store, search_words
from bot.store.scope import ALL_SERVERS, GuildScope
from bot.store.together import read_together
from bot.store.vectors import TF_WEIGHT_ARRAY, place_weights

logger = logging.getLogger(__name__)

# Weights of the signals. Chosen on the posts before 2012 of the marcusoft archive and reported
# on the posts from 2012 on (bench/related_quality.py); the text similarity is in 0..1.
TEXT_WEIGHT = 1.0
LABEL_WEIGHT = 0.5
SPEAKER_WEIGHT = 0.05  # per shared speaker, two at most
TIME_WEIGHT = 0.15
# Two posts near the same ``NEIGHBOURS`` posts; each shared neighbour adds its share of this.
SHARED_WEIGHT = 0.2
# Nearness in time decays over the time the archive takes to publish this many posts.
TIME_SCALE_POSTS = 300
# The FTS5 candidate query: the essay's most distinctive words, best first, until this many or
# until their postings reach the budget (FTS5 scores every posting of every OR term, so this
# bounds the query's cost however large the archive grows).
QUERY_TERMS = 12
POSTING_BUDGET = 3000
# When every word is over the budget, the rarest one is queried alone if its postings are within this
# (a backend may have to read them all to find the newest: PostgreSQL's GIN index has no order).
RAREST_BUDGET = 4 * POSTING_BUDGET
# Candidates scored exactly from their stored stem counts.
CANDIDATES = 40
# Champion lists (``stem_champions``; Manning, Raghavan and Schütze, "Introduction to Information Retrieval",
# 7.1.3): each essay's most distinctive stems (by tf-idf when it is stored) and the stems it uses most (a word
# on most posts is nobody's distinctive word, yet a query may ask for it), each with the essay's weight for it,
# so a free-text query reads the heaviest essays of each of its stems instead of ranking every posting of its
# words. 32 is the smallest depth whose candidates found the exact ranking's top 5 as often as FTS5's did on the
# 1,270 real posts (bench/README.md, "Free-text /related from champion lists").
CHAMPION_STEMS = 32
CHAMPION_USED = 8
# Each essay's stored neighbourhood: its nearest posts in the whole archive (see ``add_to_neighbourhoods``),
# at most this many and at most this share of the archive (in a small archive any two lists would overlap).
NEIGHBOURS = 20
NEIGHBOUR_SHARE = 0.05
# A list's candidates: its text candidates (their query's postings bounded tighter than a
# related query's, so that storing an essay costs a fraction of a query at any archive size)
# and the posts written just before and after it.
LIST_CANDIDATES = 40
LIST_POSTING_BUDGET = 1000
LIST_TIME_CANDIDATES = 5
# Lists made on too small an archive that are made again per stored essay (see ``add_to_neighbourhoods``).
REFRESH_LISTS = 2
# The essay's nearest stored neighbours that are candidates of a query: the whole list. Its text
# candidates are looked for only when fewer than the asked-for number of these may be shown.
NEIGHBOUR_CANDIDATES = NEIGHBOURS
# Shared neighbours named in a reason, and how many it takes to be named.
REASON_NEIGHBOURS = 2
REASON_SHARED = 3
# Posts whose own lists hold at least this many of the essay's neighbours, as many as a list holds,
# are candidates too (the text query of a list may miss a post that is near the same posts).
# Chosen on the tune split: 2 and 20 (tune P@5 0.823) over 3 and 10 (0.822) and none (0.817).
CO_LISTED_LEAST = 2
CO_LISTED = NEIGHBOURS
# List rows read to find them, the neighbours held by fewest lists first: as a word's postings,
# a post that nearly every list holds (a hub of a large archive) costs most and says least. Every
# list holds ``NEIGHBOURS`` posts, so a post is on ``NEIGHBOURS`` lists on average and the essay's
# neighbours on ``NEIGHBOURS ** 2``: twice that leaves out only the hubs. (On the 1,270 real posts
# of bench.related_quality P@5 is the same with 3,000, 1,000 or 800 rows; at 10,000 generated posts
# a query reads about 800 where it read 2,900.)
CO_LISTED_BUDGET = 2 * NEIGHBOURS * NEIGHBOURS
# An essay with fewer posts before it than this (among the archive's first) scores every one of them when its
# neighbourhood holds too few before it: its stems' champion lists hold mostly later posts, and were read deep
# to find a few earlier ones (14-24 ms at 10,000 essays), where reading all of these costs about 1 ms.
EARLIER_ALL = 10 * NEIGHBOURS
# Posts related by labels alone that are scored, as many as the essay's stored neighbours.
LABEL_CANDIDATES = NEIGHBOURS
# Labels rows read to find posts related by labels alone; the rarest labels come first.
LABEL_ROW_BUDGET = 600
# The background: this many posts spread evenly through the archive; a result must stand this
# many spreads above their median (see ``_stand_out``).
BACKGROUND_SAMPLE = 24
BACKGROUND_Z = 1.0
# Shared words named in a reason, none of them on more than this share of the posts.
REASON_WORDS = 3
REASON_SHARE = 0.5
MAX_QUERY_CHARS = 2000

# The answers ``kept_related_to_essay`` keeps per store, with the ``ranking_version`` each was computed at.
ANSWER_CACHE = 256
_answer_cache: weakref.WeakKeyDictionary[
    Store, OrderedDict[tuple[int, GuildScope, int, bool], tuple[int, tuple[RelatedPost, ...]]]
] = weakref.WeakKeyDictionary()
# Stores whose every essay has its related terms (checked once per store: new essays get theirs at ingest).
_complete: weakref.WeakSet[Store] = weakref.WeakSet()
# Each store's background sample (see ``_background``), with the archive state it was read at.
_background_cache: weakref.WeakKeyDictionary[Store, tuple[tuple[int, int, int], dict[int, RelatedVector]]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(slots=True)
class RelatedPost:
    essay_id: int
    key: str
    title: str
    url: str | None
    published: date | None
    score: float
    reasons: list[str] = field(default_factory=list)
    referenced: bool = False


@dataclass(slots=True)
class _Candidate:
    reference: tuple[str, int] | None = None  # (reference text, section)
    labels: list[str] = field(default_factory=list)
    label_share: float = 0.0
    speakers: list[str] = field(default_factory=list)
    similarity: float = 0.0
    vector: RelatedVector | None = None
    shared: list[int] = field(default_factory=list)  # neighbours of the essay that are this post's too
    nearness: float = 0.0
    published: date | None = None

    @property
    def evidence(self) -> float:
        """What the post has in common with the essay (time nearness is only a tie-breaker)."""
        return (
            TEXT_WEIGHT * self.similarity
            + LABEL_WEIGHT * min(1.0, self.label_share)
            + SPEAKER_WEIGHT * min(2, len(self.speakers))
            + SHARED_WEIGHT * len(self.shared) / NEIGHBOURS
        )

    @property
    def score(self) -> float:
        return self.evidence + TIME_WEIGHT * self.nearness


@dataclass(frozen=True, slots=True)
class _Thresholds:
    """What a post must reach to be returned (all evidence), and to be called similar in wording."""

    evidence: float
    wording: float


@dataclass(frozen=True, slots=True)
class _Query:
    """The essay's (or free text's) idf-weighted stems."""

    terms: Terms
    weights: dict[str, float]  # stem -> (1 + ln tf) * idf, only stems another post holds
    idf: dict[str, float]
    products: dict[str, float]  # stem -> weight * idf: times a candidate's tf weight, its part of the dot product
    reason_idf: float  # the idf of a word on ``REASON_SHARE`` of the posts: commoner words are not named
    document_counts: dict[str, int]
    scale: float  # turns a dot product into a similarity that is 1 for the essay itself
    # ``products`` by stem id, ascending, as the stored vectors hold them (bot/store/vectors.py).
    ids: npt.NDArray[np.int64]
    id_products: npt.NDArray[np.float64]
    id_idf: npt.NDArray[np.float64]
    id_terms: list[str]


async def kept_related_to_essay(
    store: Store, target: EssayRow, *, guild_id: GuildScope, limit: int = 5, any_time: bool = False
) -> list[RelatedPost]:
    """``related_to_essay``, kept while the store's ``ranking_version`` stays the same: the command's entry.

    The answer depends on the database alone. Members discussing an essay ask about it again and again
    (in its threads, or the newest essay with no essay named), while their messages there change nothing
    it ranks by; a commit that does, of this process or another, makes it computed anew. (Benches and
    tests that change the ranking's settings call ``related_to_essay`` itself.)
    """
    version = await store.ranking_version()
    if version is None:
        return await related_to_essay(store, target, guild_id=guild_id, limit=limit, any_time=any_time)
    answers = _answer_cache.setdefault(store, OrderedDict())
    key = (target.id, guild_id, limit, any_time)
    kept = answers.get(key)
    if kept is not None and kept[0] == version:
        answers.move_to_end(key)
        return [replace(post, reasons=list(post.reasons)) for post in kept[1]]
    posts = await related_to_essay(store, target, guild_id=guild_id, limit=limit, any_time=any_time)
    # Kept only when nothing was committed meanwhile and no transaction is open now (its reads could have
    # seen rows that are not committed yet).
    if await store.ranking_version() == version:
        answers[key] = (version, tuple(replace(post, reasons=list(post.reasons)) for post in posts))
        answers.move_to_end(key)
        while len(answers) > ANSWER_CACHE:
            answers.popitem(last=False)
    return posts


async def related_to_essay(
    store: Store, target: EssayRow, *, guild_id: GuildScope, limit: int = 5, any_time: bool = False
) -> list[RelatedPost]:
    """Stored essays the server may see related to ``target``, published before it unless ``any_time``.

    Only the candidates are scoped: the statistics behind the ranking (how common a word or a
    label is, the background a post must stand out of) are the whole archive's, and show nothing.
    """
    await _ensure_terms(store)
    essay = target.essay
    # Without a date "earlier" means nothing, so an undated essay compares with the whole archive.
    before = None if any_time else essay.published
    candidates: dict[int, _Candidate] = {}
    # Reads that do not wait on each other (sent together where the backend answers them together).
    span, stored, speakers, label_counts, neighbours, _ = await read_together(
        store,
        store.archive_span(),
        store.stored_query_terms(target.id),
        store.quoted_speakers(target.id),
        store.label_counts(list(essay.labels)),
        _neighbourhood(store, target.id),
        _add_references(store, candidates, target.id, before=before, guild_id=guild_id),
    )
    specificity, rare = _label_weights(label_counts, span.essays)
    if stored is not None:
        query = _make_query(*stored, span.essays, stored=True)
    else:  # an essay whose terms are not stored yet (see ``_ensure_terms``): from its text
        query = await _query(store, essay_terms(essay.title, essay.blocks), span.essays, stored=False)
    listed, co_listed, _ = await read_together(
        store,
        _add_neighbour_candidates(store, candidates, neighbours, before=before, guild_id=guild_id),
        _add_co_listed(store, candidates, neighbours, target.id, before=before, guild_id=guild_id),
        _add_label_candidates(store, candidates, rare, before=before, exclude_id=target.id, guild_id=guild_id),
    )
    # The stored neighbourhood (the essay's list and the posts listing the same posts) is the text
    # query's answer, made at ingest and kept as the archive grows; only when the server's scope or
    # the date leaves fewer of it than asked for are more looked for now: among every post before the
    # essay when it is one of the archive's first ``EARLIER_ALL``, else in the champion lists of the
    # essay's stems, and when those hold fewer still, by the list's own query, in the scope and before
    # the date, so within the list's postings budget (the free-text one cost twice as much for about
    # the same posts: bench/README).
    if len(listed | co_listed) < limit:
        pool = max(NEIGHBOURS, 2 * limit)
        earlier = await store.earlier_ids(before, guild_id=guild_id, limit=EARLIER_ALL) if before is not None else None
        if earlier is not None:
            await _add_nearest_of(store, candidates, query, earlier, limit=pool, exclude_id=target.id)
        elif (
            await _add_champion_candidates(
                store, candidates, query, before=before, guild_id=guild_id, limit=pool, exclude_id=target.id
            )
            < limit
        ):
            await _add_text_candidates(
                store,
                candidates,
                query,
                before=before,
                target_id=target.id,
                guild_id=guild_id,
                limit=pool,
                budget=LIST_POSTING_BUDGET,
            )
    threshold = await _score(
        store, candidates, query, specificity, span, exclude_id=target.id, neighbours=neighbours, speakers=speakers
    )
    _add_nearness(candidates, essay.published, _time_scale(span))
    return await _finish(store, candidates, limit, query, threshold, guild_id=guild_id)


async def related_to_text(
    store: Store, query: str, *, guild_id: GuildScope, limit: int = 5, before: datetime | None = None
) -> list[RelatedPost]:
    """Stored essays the server may see about a free-text topic; any text is safe (never FTS5 syntax)."""
    await _ensure_terms(store)
    query = query[:MAX_QUERY_CHARS]
    candidates: dict[int, _Candidate] = {}
    span, label_counts = await read_together(store, store.archive_span(), store.label_counts(_label_phrases(query)))
    parsed = await _query(store, text_terms([(query, 1)]), span.essays, stored=False)
    specificity, rare = _label_weights(label_counts, span.essays)
    await read_together(
        store,
        add_free_text_candidates(store, candidates, parsed, before=before, guild_id=guild_id, limit=limit),
        _add_label_candidates(store, candidates, rare, before=before, exclude_id=None, guild_id=guild_id),
    )
    threshold = await _score(store, candidates, parsed, specificity, span, exclude_id=None)
    return await _finish(store, candidates, limit, parsed, threshold, guild_id=guild_id)


async def _nothing() -> dict[int, list[Any]]:
    return {}


async def _ensure_terms(store: Store) -> None:
    """Fill in the related terms and neighbour lists of essays stored before they were kept (once per store)."""
    if store in _complete:
        return
    filled = 0
    while missing := await store.essays_without_terms(limit=500):
        filled += await store.fill_related_terms(missing)
        if len(missing) < 500:
            break
    if filled:
        logger.info("computed related-post terms for %d essays stored before they were kept", filled)
    listed = 0
    while missing := await store.essays_without_neighbours(limit=500):
        for essay_id in missing:
            listed += await add_to_neighbourhoods(store, essay_id)
        if len(missing) < 500:
            break
    if listed:
        logger.info("found the nearest posts of %d essays stored before neighbourhoods were kept", listed)
    champions, after = 0, 0
    while missing := await store.essays_without_champions(after=after, limit=500):
        total = (await store.archive_span()).essays
        vectors = await store.term_vectors(missing)
        held = await store.stem_document_counts(sorted({i for v in vectors.values() for i in v.ids.tolist()}))
        await store.save_champions({essay_id: _champions(v, held, total) for essay_id, v in vectors.items()})
        champions += len(vectors)
        after = missing[-1]
    if champions:
        logger.info("placed %d essays stored before champion lists were kept in their stems' lists", champions)
    _complete.add(store)


async def add_to_neighbourhoods(store: Store, essay_id: int, *, refresh: bool = True) -> bool:
    """Store a stored essay's nearest posts in the whole archive, and join the lists of posts it is near.

    Called when an essay is stored (``bot.intake.store_essay``): about the work of one related
    query. Its list is the best of its text candidates and of the posts written just before and
    after it, by the ranking's own measure without labels (wording and nearness in time). A post
    already listed takes the essay into its own list when the essay scores above the worst post
    there, as that post sees it (the same dot product, on that post's scale and this essay's
    length), so lists stay close to each post's nearest posts as the archive grows. A list made
    while the archive was too small to fill one, on statistics of a few posts, is made again each
    time the archive has doubled, a few per call (``refresh``). False when the essay has no terms.
    """
    stored = await store.stored_query_terms(essay_id)
    if stored is None:
        return False
    terms = stored[0]
    span = await store.archive_span()
    query = _make_query(*stored, span.essays, stored=True)
    candidates: dict[int, _Candidate] = {}
    await _add_text_candidates(
        store,
        candidates,
        query,
        before=None,
        target_id=essay_id,
        guild_id=ALL_SERVERS,
        limit=LIST_CANDIDATES,
        budget=LIST_POSTING_BUDGET,
    )
    for other in await store.nearest_in_time(essay_id, limit=LIST_TIME_CANDIDATES):
        candidates.setdefault(other, _Candidate())
    vectors = await store.term_vectors([essay_id, *sorted(candidates)])
    own = vectors.pop(essay_id, None)
    lists = await store.neighbour_lists(sorted(vectors))
    time_scale = _time_scale(span)
    size = min(NEIGHBOURS, int(NEIGHBOUR_SHARE * span.essays))
    length = terms.norm
    scores: dict[int, float] = {}
    joined: dict[int, float] = {}
    similarity = dict(zip(vectors, _similarities(query, list(vectors.values())), strict=True))
    for other, vector in vectors.items():
        text = TEXT_WEIGHT * similarity[other]
        near = TIME_WEIGHT * _nearness(own.published if own else None, vector.published, time_scale)
        scores[other] = text + near
        theirs = lists.get(other)
        if theirs is None or size < 1 or query.scale <= 0 or length <= 0:
            continue
        seen = text * vector.norm * theirs.scale / (query.scale * length) + near
        if theirs.size < size or seen > theirs.worst:
            joined[other] = seen
    best = dict(sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:size])
    await store.save_neighbours(essay_id, query.scale, best, joined, size=size, archive=span.essays)
    if own is not None:
        held = {stat.id: stat.essays for stat in stored[1].values()}
        await store.save_champions({essay_id: _champions(own, held, span.essays)})
    if refresh:
        full = round(NEIGHBOURS / NEIGHBOUR_SHARE)  # the archive size from which lists are full
        for stale in await store.stale_neighbour_lists(archive=span.essays, below=full, limit=REFRESH_LISTS):
            await add_to_neighbourhoods(store, stale, refresh=False)
    return True


async def _neighbourhood(store: Store, essay_id: int) -> list[int]:
    """The essay's stored neighbours, nearest first; its list is made now if it has none yet (as at ingest)."""
    found = await store.neighbours(essay_id)
    if not found and not await store.neighbour_lists([essay_id]):
        await add_to_neighbourhoods(store, essay_id)
        found = await store.neighbours(essay_id)
    return found


async def _query(store: Store, terms: Terms, total: int, *, stored: bool) -> _Query:
    return _make_query(terms, await store.term_statistics(list(terms.counts)), total, stored=stored)


def _make_query(terms: Terms, stems: dict[str, StemStatistic], total: int, *, stored: bool) -> _Query:
    counts = {term: stat.essays for term, stat in stems.items()}
    # A stored essay is counted in its own document counts; other posts hold a stem when more do.
    own = 1 if stored else 0
    idf: dict[str, float] = {}
    weights: dict[str, float] = {}
    # The essay's full tf-idf length, words only it uses included: they cannot match, but an
    # essay made mostly of them is less like any other post than one made of shared words.
    length_sq = 0.0
    for term, count in terms.counts.items():
        held = counts.get(term, 0)
        term_idf = math.log((1 + total) / (1 + max(held, own))) + 1.0
        weight = tf_weight(count) * term_idf
        length_sq += weight * weight
        if held - own < 1:
            continue
        idf[term] = term_idf
        weights[term] = weight
    # A similarity of 1 is the essay itself: dot * norm / length^2 (see ``_similarity``).
    scale = terms.norm / length_sq if length_sq > 0 else 0.0
    products = {term: weight * idf[term] for term, weight in weights.items()}
    reason_idf = math.log((1 + total) / (1 + REASON_SHARE * total)) + 1.0
    by_id = sorted((stems[term].id, term) for term in products)
    ids = np.fromiter((stem_id for stem_id, _ in by_id), np.int64, len(by_id))
    id_terms = [term for _, term in by_id]
    id_products = np.fromiter((products[term] for term in id_terms), np.float64, len(by_id))
    id_idf = np.fromiter((idf[term] for term in id_terms), np.float64, len(by_id))
    return _Query(terms, weights, idf, products, reason_idf, counts, scale, ids, id_products, id_idf, id_terms)


def _label_phrases(query: str) -> list[str]:
    """Words and two- and three-word phrases of a query: the ways a label can appear in it."""
    tokens = words(query)[:300]
    phrases = [" ".join(tokens[i : i + n]) for n in (1, 2, 3) for i in range(len(tokens) - n + 1)]
    return list(dict.fromkeys(phrases))


async def _add_references(
    store: Store, candidates: dict[int, _Candidate], essay_id: int, *, before: datetime | None, guild_id: GuildScope
) -> None:
    references = await store.resolved_reference_sections(essay_id)
    briefs = await store.briefs_by_key([key for key, _, _ in references], guild_id=guild_id)
    for key, text, section in references:
        brief = briefs.get(key)
        if brief is None or brief.id == essay_id:
            continue
        if before is not None and brief.published is not None and brief.published >= before.date():
            continue
        entry = candidates.setdefault(brief.id, _Candidate())
        if entry.reference is None:
            entry.reference = (text, section)


async def _add_text_candidates(
    store: Store,
    candidates: dict[int, _Candidate],
    query: _Query,
    *,
    before: datetime | None,
    target_id: int | None,
    guild_id: GuildScope,
    limit: int = CANDIDATES,
    budget: int | None = None,
) -> None:
    """Posts holding the essay's most distinctive words, by FTS5's BM25, to be scored exactly.

    The words' postings stay within ``budget`` (``POSTING_BUDGET`` unless given). When every word
    is over it, the rarest (within ``RAREST_BUDGET``) is queried alone and only its newest ``budget``
    matches are ranked.
    """
    budget = POSTING_BUDGET if budget is None else budget
    chosen: list[str] = []
    postings = 0
    rarest: tuple[int, str] | None = None  # the word with fewest postings of those over the budget
    # Heaviest contribution to a cosine first: tf-idf weight times idf.
    for term in sorted(query.weights, key=lambda t: (-query.weights[t] * query.idf[t], t)):
        count = query.document_counts.get(term, 0)
        over = postings + count > budget
        if over and rarest is not None and count >= rarest[0]:
            continue  # over the budget, and no rarer than a word already kept in reserve
        words = search_words(query.terms.forms[term], max_terms=1)
        if not words:
            continue
        if over:
            rarest = (count, words[0])
            continue
        chosen.append(words[0])
        postings += count
        if len(chosen) == QUERY_TERMS:
            break
    # In a large archive every word of a short query may be over the budget (a word on every post);
    # its rarest word alone still finds posts, ranked within its newest matches only.
    window = None
    if not chosen and rarest is not None and rarest[0] <= RAREST_BUDGET:
        chosen.append(rarest[1])
        window = max(budget, limit)
    if not chosen:
        return
    hits, _ = await store.text_neighbours(
        chosen, guild_id=guild_id, before=before, limit=limit, target_id=target_id, window=window
    )
    for essay_id, _ in hits:
        candidates.setdefault(essay_id, _Candidate())


async def add_free_text_candidates(
    store: Store,
    candidates: dict[int, _Candidate],
    query: _Query,
    *,
    before: datetime | None,
    guild_id: GuildScope,
    limit: int,
) -> None:
    """A free-text query's text candidates: its stems' champion lists, and the words' postings when the lists
    hold fewer than ``CANDIDATES`` posts and the postings can be ranked whole (a word within ``POSTING_BUDGET``:
    a rare word, or a small archive), or the lists hold fewer than the ``limit`` asked for. A word on most posts
    is nobody's distinctive word and few posts' most used: its list is short, and its postings would only be
    ranked within a window of the newest, which says less about it than the posts that use it most."""
    found = await _add_champion_candidates(store, candidates, query, before=before, guild_id=guild_id, limit=CANDIDATES)
    rankable = any(query.document_counts.get(term, 0) <= POSTING_BUDGET for term in query.weights)
    if found < limit or (found < CANDIDATES and rankable):
        await _add_text_candidates(store, candidates, query, before=before, target_id=None, guild_id=guild_id)


def _champions(vector: RelatedVector, held: Mapping[int, int], total: int) -> list[tuple[int, int]]:
    """The essay's places in champion lists: its ``CHAMPION_STEMS`` stems of highest tf-idf and its
    ``CHAMPION_USED`` most used (ties by stem id; ``held``: how many essays hold each stem), each with its tf
    weight over the essay's tf length (``place_weights``: its part of a cosine with any text, no archive
    statistic, so a place never goes stale; only which stems have one depends on the archive when stored)."""
    if vector.norm <= 0 or not len(vector.ids):
        return []
    tf = TF_WEIGHT_ARRAY[vector.counts]
    essays = np.fromiter((max(held.get(stem_id, 1), 1) for stem_id in vector.ids.tolist()), np.float64, len(tf))
    idf = np.log((1 + total) / (1 + essays)) + 1.0
    distinctive = np.lexsort((vector.ids, -tf * idf))[:CHAMPION_STEMS]
    used = np.lexsort((vector.ids, -tf))[:CHAMPION_USED]
    placed = np.union1d(distinctive, used)
    weights = place_weights(vector.counts[placed], vector.norm)
    return list(zip(vector.ids[placed].tolist(), weights.tolist(), strict=True))


async def _add_champion_candidates(
    store: Store,
    candidates: dict[int, _Candidate],
    query: _Query,
    *,
    before: datetime | None,
    guild_id: GuildScope,
    limit: int = CANDIDATES,
    exclude_id: int | None = None,
) -> int:
    """The ``limit`` posts weighing most in the champion lists of the query's ``QUERY_TERMS`` heaviest stems,
    by their part of a cosine with the query that the lists hold; how many posts the lists gave.

    For one word the lists' order is the exact ranking's (a post's weight for the word is its whole cosine
    with it); for several, a post's parts from the lists it is in. Either way they are only candidates,
    scored exactly from their stored stem counts after.
    """
    order = np.argsort(-query.id_products, kind="stable")[:QUERY_TERMS]
    products = {int(query.ids[at]): float(query.id_products[at]) for at in order.tolist()}
    lists = await store.stem_champions(list(products), guild_id=guild_id, before=before, limit=limit)
    parts: dict[int, float] = {}
    for stem_id, rows in lists.items():
        for essay_id, weight in rows:
            if essay_id != exclude_id:
                parts[essay_id] = parts.get(essay_id, 0.0) + products[stem_id] * weight
    for essay_id in heapq.nsmallest(limit, parts, key=lambda essay_id: (-parts[essay_id], essay_id)):
        candidates.setdefault(essay_id, _Candidate())
    return len(parts)


async def _add_nearest_of(
    store: Store,
    candidates: dict[int, _Candidate],
    query: _Query,
    essay_ids: Sequence[int],
    *,
    limit: int,
    exclude_id: int,
) -> None:
    """Add the ``limit`` of ``essay_ids`` nearest the query in wording (each scored exactly), of those sharing any
    of its words (as the champion lists give only posts that do), with the vectors read (``_score`` reads them
    not again)."""
    vectors = await store.term_vectors([i for i in essay_ids if i != exclude_id])
    scored = zip(vectors, _similarities(query, list(vectors.values())), strict=True)
    similarity = {essay_id: value for essay_id, value in scored if value > 0}
    for essay_id in heapq.nsmallest(limit, similarity, key=lambda i: (-similarity[i], i)):
        candidates.setdefault(essay_id, _Candidate()).vector = vectors[essay_id]


async def _add_neighbour_candidates(
    store: Store,
    candidates: dict[int, _Candidate],
    neighbours: list[int],
    *,
    before: datetime | None,
    guild_id: GuildScope,
) -> set[int]:
    """Add the essay's nearest stored neighbours that the server may see; return them."""
    if not neighbours or NEIGHBOUR_CANDIDATES <= 0:
        return set()
    chosen = await store.visible_ids(neighbours[:NEIGHBOUR_CANDIDATES], guild_id=guild_id, before=before)
    for essay_id in sorted(chosen):
        candidates.setdefault(essay_id, _Candidate())
    return chosen


def _label_weights(counts: dict[str, int], total: int) -> tuple[dict[str, float], dict[str, float]]:
    """Each label's specificity, and those rare enough to find posts by alone (within ``LABEL_ROW_BUDGET``)."""
    if not counts or total < 2:
        return {}, {}
    specificity = {label: math.log(total / n) / math.log(total) for label, n in counts.items()}
    rare: dict[str, float] = {}
    rows = 0
    for label, n in sorted(counts.items(), key=lambda item: (item[1], item[0])):
        if rows + n > LABEL_ROW_BUDGET:
            break
        rows += n
        rare[label] = specificity[label]
    return specificity, rare


async def _add_co_listed(
    store: Store,
    candidates: dict[int, _Candidate],
    neighbours: list[int],
    essay_id: int,
    *,
    before: datetime | None,
    guild_id: GuildScope,
) -> set[int]:
    """Add the posts whose own lists hold several of the essay's neighbours (near the same posts); return them."""
    if not neighbours or NEIGHBOUR_CANDIDATES <= 0:
        return set()
    found = await store.co_listed(
        neighbours,
        exclude_id=essay_id,
        least=CO_LISTED_LEAST,
        limit=CO_LISTED,
        guild_id=guild_id,
        before=before,
        budget=CO_LISTED_BUDGET,
    )
    for other in found:
        candidates.setdefault(other, _Candidate())
    return set(found)


async def _add_label_candidates(
    store: Store,
    candidates: dict[int, _Candidate],
    rare: dict[str, float],
    *,
    before: datetime | None,
    exclude_id: int | None,
    guild_id: GuildScope,
) -> None:
    """Add posts sharing the rare labels (which labels each shares is read with the background's, in ``_score``)."""
    if not rare:
        return
    found = await store.label_neighbours(
        rare, guild_id=guild_id, before=before, exclude_id=exclude_id, limit=LABEL_CANDIDATES
    )
    for essay_id in found:
        candidates.setdefault(essay_id, _Candidate())


def _similarities(query: _Query, vectors: Sequence[RelatedVector]) -> list[float]:
    """Each vector's similarity to the query: 1 for the essay itself.

    The hot part of a query, done for all candidates at once in array operations: the stems of
    every vector are looked up among the query's (both sorted by id), and each shared stem adds
    its query product times the candidate's tf weight.
    """
    if not vectors:
        return []
    if query.scale <= 0 or not len(query.ids):
        return [0.0] * len(vectors)
    lengths = np.fromiter((len(v.ids) for v in vectors), np.int64, len(vectors))
    ids = np.concatenate([v.ids for v in vectors])
    counts = np.concatenate([v.counts for v in vectors])
    at = np.searchsorted(query.ids, ids)
    at[at == len(query.ids)] = 0  # past the query's largest id: compared with its first, never equal
    shared = query.ids[at] == ids
    owner = np.repeat(np.arange(len(vectors)), lengths)
    dots = np.bincount(
        owner[shared], weights=query.id_products[at[shared]] * TF_WEIGHT_ARRAY[counts[shared]], minlength=len(vectors)
    )
    norms = np.fromiter((v.norm for v in vectors), np.float64, len(vectors))
    scaled = np.divide(dots * query.scale, norms, out=np.zeros(len(vectors)), where=norms > 0)
    return [float(value) for value in scaled]


def _shared_stems(query: _Query, vector: RelatedVector, count: int) -> list[str]:
    """The ``count`` stems both share that name a subject best, most telling first.

    A word on more than ``REASON_SHARE`` of the posts ("use", "found") is left out; the rest are
    ordered by their part of the similarity times their idf, so rarer shared words come first
    (ties by the stem, so a reason reads the same on every backend).
    """
    if not len(query.ids) or not len(vector.ids) or count < 1:
        return []
    # Both are sorted by id: each of the vector's stems is looked up among the query's, as in ``_similarities``.
    at = np.searchsorted(query.ids, vector.ids)
    at[at == len(query.ids)] = 0
    hit = query.ids[at] == vector.ids
    mine, theirs = at[hit], np.flatnonzero(hit)
    telling = query.id_idf[mine] >= query.reason_idf
    mine, theirs = mine[telling], theirs[telling]
    if not len(mine):
        return []
    values = query.id_products[mine] * TF_WEIGHT_ARRAY[vector.counts[theirs]] * query.id_idf[mine]
    if len(values) > count:
        # Only the stems at or above the count-th value can be named; ties at it are settled by the stem below.
        kept = values >= np.partition(values, len(values) - count)[len(values) - count]
        mine, values = mine[kept], values[kept]
    terms = [query.id_terms[at] for at in mine.tolist()]
    return [term for _, term in heapq.nsmallest(count, zip((-values).tolist(), terms, strict=True))]


def _background_ids(low: int, high: int) -> list[int]:
    """Up to ``BACKGROUND_SAMPLE`` essay ids spread evenly over the archive."""
    span = high - low + 1
    step = max(1.0, span / BACKGROUND_SAMPLE)
    return sorted({low + int(i * step) for i in range(min(BACKGROUND_SAMPLE, span))})


async def _background(store: Store, span: ArchiveSpan) -> dict[int, RelatedVector]:
    """The background sample's stored terms, read once per state of the archive.

    Every query of an archive uses the same sample, so it is kept until the archive's size or
    id range changes (a revised essay may leave it stale until then: it is only a background).
    """
    if span.ids is None:
        return {}
    state = (span.essays, *span.ids)
    cached = _background_cache.get(store)
    if cached is not None and cached[0] == state:
        return cached[1]
    vectors = await store.term_vectors(_background_ids(*span.ids))
    _background_cache[store] = (state, vectors)
    return vectors


async def _score(
    store: Store,
    candidates: dict[int, _Candidate],
    query: _Query,
    specificity: dict[str, float],
    span: ArchiveSpan,
    *,
    exclude_id: int | None,
    neighbours: Sequence[int] = (),
    speakers: Sequence[str] = (),
) -> _Thresholds:
    """Score every candidate's wording, neighbourhood, labels and speakers; return the thresholds this essay's
    background sets.

    The background is what arbitrary posts of this archive have in common with the essay
    (wording, labels and neighbours): a label on most posts, or a few common words, do not stand
    out of it.
    """
    background = await _background(store, span)
    background_ids = [i for i in background if i != exclude_id]
    compared = sorted(set(candidates) | set(background_ids))
    known = {i: c.vector for i, c in candidates.items() if c.vector is not None}
    read, held, shared, quoted = await read_together(
        store,
        store.term_vectors(sorted(set(candidates) - set(background) - set(known))),
        store.shared_neighbours(compared, list(neighbours)) if neighbours else _nothing(),
        store.shared_labels(compared, list(specificity)) if specificity else _nothing(),
        store.shared_speakers(list(candidates), list(speakers)),
    )
    vectors = {**background, **known, **read}
    # Which of the essay's neighbours each candidate (and background post) holds, in the essay's order.
    order = {essay_id: rank for rank, essay_id in enumerate(neighbours)}
    shared_neighbours = {i: sorted(ids, key=order.__getitem__) for i, ids in held.items()}
    scored = [i for i in compared if i in vectors]
    similarity = dict(zip(scored, _similarities(query, [vectors[i] for i in scored]), strict=True))
    for essay_id, entry in candidates.items():
        vector = vectors.get(essay_id)
        if vector is not None:
            entry.published = vector.published
            entry.vector = vector
            entry.similarity = similarity[essay_id]
        entry.shared = shared_neighbours.get(essay_id, [])
        entry.labels = sorted(shared.get(essay_id, ()))
        entry.label_share = sum(specificity.get(label, 0.0) for label in entry.labels)
        # Shared quoted speakers add to posts already found; alone they are too weak a tie.
        entry.speakers = sorted(set(quoted.get(essay_id, ())))
    text = [similarity[i] for i in background_ids if i in vectors]
    labels = [
        min(1.0, sum(specificity.get(label, 0.0) for label in shared.get(i, ())))
        for i in background_ids
        if i in vectors
    ]
    near = [len(shared_neighbours.get(i, ())) / NEIGHBOURS for i in background_ids if i in vectors]
    evidence = [
        TEXT_WEIGHT * t + LABEL_WEIGHT * lab + SHARED_WEIGHT * n for t, lab, n in zip(text, labels, near, strict=True)
    ]
    return _Thresholds(_stand_out(evidence), _stand_out([TEXT_WEIGHT * t for t in text]))


def _stand_out(background: list[float]) -> float:
    """The score that stands out of a background: its median plus ``BACKGROUND_Z`` times its spread.

    Median and median absolute deviation, so the few related posts a sample may hold do not
    raise the bar; the spread is at least the median itself, so when arbitrary posts all share
    the same little (a label on most posts, a common word), sharing just that is not enough.
    """
    if len(background) < 2:
        return 0.0
    middle = statistics.median(background)
    spread = 1.4826 * statistics.median(abs(value - middle) for value in background)
    return middle + BACKGROUND_Z * max(spread, middle)


def _time_scale(span: ArchiveSpan) -> float | None:
    """Days the archive takes to publish ``TIME_SCALE_POSTS`` posts (None without dates)."""
    if span.first is None or span.last is None or span.essays < 2 or span.last <= span.first:
        return None
    return TIME_SCALE_POSTS * (span.last - span.first).days / span.essays


def _nearness(first: date | None, second: date | None, scale: float | None) -> float:
    """1 for posts of the same day, falling off over ``scale`` days; 0 without dates."""
    if first is None or second is None or scale is None or scale <= 0:
        return 0.0
    return math.exp(-abs((first - second).days) / scale)


def _add_nearness(candidates: dict[int, _Candidate], published: datetime | None, scale: float | None) -> None:
    if published is None:
        return
    day = published.date()
    for entry in candidates.values():
        entry.nearness = _nearness(day, entry.published, scale)


async def _finish(
    store: Store,
    candidates: dict[int, _Candidate],
    limit: int,
    query: _Query,
    threshold: _Thresholds,
    *,
    guild_id: GuildScope,
) -> list[RelatedPost]:
    # A candidate with nothing in common shows no evidence, whatever the background.
    floor = max(threshold.evidence, 1e-9)
    ranked = sorted(
        ((eid, c) for eid, c in candidates.items() if c.reference is not None or c.evidence >= floor),
        key=lambda item: (item[1].reference is not None, round(item[1].score, 6), item[0]),
        reverse=True,
    )[:limit]
    # The shared neighbours a reason may name: only when there are several, and only posts the server sees.
    named = {i for _, c in ranked if len(c.shared) >= REASON_SHARED for i in c.shared}
    briefs = await store.briefs(sorted({eid for eid, _ in ranked} | named), guild_id=guild_id)
    results: list[RelatedPost] = []
    for essay_id, candidate in ranked:
        brief: EssayBrief | None = briefs.get(essay_id)
        if brief is None:
            continue
        near = [briefs[i].title for i in candidate.shared if i in briefs and i in named][:REASON_NEIGHBOURS]
        results.append(
            RelatedPost(
                essay_id=essay_id,
                key=brief.key,
                title=brief.title,
                url=brief.url,
                published=brief.published,
                score=round(candidate.score, 4),
                reasons=_reasons(candidate, query, threshold, near),
                referenced=candidate.reference is not None,
            )
        )
    return results


def _reasons(candidate: _Candidate, query: _Query, threshold: _Thresholds, near: list[str]) -> list[str]:
    reasons: list[str] = []
    if candidate.reference is not None:
        text, section = candidate.reference
        reasons.append(f"referenced in §{section}: “{_clip(text, 80)}”")
    if candidate.labels:
        reasons.append("shares labels: " + ", ".join(candidate.labels))
    if candidate.speakers:
        reasons.append("also quotes " + _join_names(candidate.speakers))
    similar = TEXT_WEIGHT * candidate.similarity >= max(threshold.wording, 1e-9)
    shared = _shared_stems(query, candidate.vector, REASON_WORDS) if similar and candidate.vector is not None else []
    if shared:
        named = list(dict.fromkeys(query.terms.forms[t] for t in shared))
        reasons.append("both discuss " + _join_names(named))
    if near:
        reasons.append("both close to " + _join_names([f"“{_clip(title, 60)}”" for title in near]))
    return reasons


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
