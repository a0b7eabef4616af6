"""Thread names for sections without a heading: a key phrase made of the section's own words.

A name is what an editor would put above the section: a short noun phrase (2 to 4 words, in
sentence case, "Rainy-day fund withdrawals", "Role of the individual") naming what the
section keeps talking about. Candidates are the runs of words between punctuation that begin
and end with a content word, with at most one short joining word inside ("of", "the", "for",
...; never "and", so two unrelated nouns are never glued together), that hold one of the
section's strongest words. A word weighs the number of the section's sentences using it
times its rarity in general English (``section_words.rarity``: "dentist" far above
"people"), 2.5 times more in the section's opening sentences (its claim); a candidate scores
by the average weight of its content words, more when the author repeats the phrase; an
adverb never opens or closes a name. Names are distinct within an essay.
Chosen over YAKE on hand-named sections of real posts (``bench/sections_quality.py``): it
names more of them as a person would, at a twentieth of the time.
"""

from __future__ import annotations

import heapq
import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.essays.model import Block
from bot.essays.section_words import BlockWords, Word, block_words, rarity

logger = logging.getLogger(__name__)

MAX_TITLE_CHARS = 100
# Content words in a name.
MAX_NAME_WORDS = 4
# Words in the section's first sentences weigh this much more: a section often opens with its claim.
OPENING_BONUS = 2.5
OPENING_SENTENCES = 2
# A single word is a weak name ("Integrity"); it wins only when no phrase comes close.
SINGLE_WORD_FACTOR = 0.35
# Phrases are built around the section's this many strongest words.
STRONG_WORDS = 5
# A phrase scores the sum of its words' weights divided by (number of words) ** PHRASE_NORM.
PHRASE_NORM = 0.5
FALLBACK_WORDS = 6

# Joining words allowed inside a name (one run of them at most): "cost of the war", "duty to vote".
_JOINERS = frozenset("of the a an to for in on with without against over under".split())


def trim_title(title: str, limit: int = MAX_TITLE_CHARS) -> str:
    """Collapse whitespace and cut at a word boundary with "…" so the result fits ``limit``."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    cut = title[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:—–-") + "…"


@dataclass(slots=True)
class _Candidate:
    stems: tuple[str, ...]
    words: tuple[Word, ...]
    score: float


def _candidates(
    run: Sequence[Word], stems: Sequence[str], wanted: set[str]
) -> list[tuple[tuple[str, ...], tuple[Word, ...]]]:
    """Sub-runs that begin and end with a content word, with one group of at most two joiners,
    and hold one of the ``wanted`` stems: each as (its stems, its words)."""
    found: list[tuple[tuple[str, ...], tuple[Word, ...]]] = []
    for start, first in enumerate(run):
        if not first.content:
            continue
        content = 0
        joiners = 0
        joined = False
        for end in range(start, len(run)):
            word = run[end]
            if word.content:
                if joiners:
                    joined = True
                content += 1
                if content > MAX_NAME_WORDS:
                    break
                key = tuple(stems[start : end + 1])
                if not wanted.isdisjoint(key):
                    found.append((key, tuple(run[start : end + 1])))
            elif word.stem in _JOINERS and not joined and joiners < 2:
                joiners += 1
            else:
                break
    return found


def _display(words: Sequence[Word]) -> str:
    """Sentence case: the first word capitalised, names as the author writes them, the rest lowercase."""
    shown: list[str] = []
    for index, word in enumerate(words):
        surface = word.surface
        # Names and acronyms as the author writes them; other words in lowercase.
        text = surface if word.proper or any(char.isupper() for char in surface[1:]) else surface.lower()
        if index == 0:
            text = text[:1].upper() + text[1:]
        shown.append(text)
    return " ".join(shown)


def _fallback(text: str) -> str:
    head = " ".join(text.split()[:FALLBACK_WORDS]).strip(" ,;:—–-\"“”'‘’")
    return trim_title(head) if head else "Untitled section"


def name_sections(
    blocks: Sequence[Block],
    spans: Sequence[tuple[int, int]],
    *,
    fixed: Sequence[str | None] | None = None,
    words: Sequence[BlockWords] | None = None,
) -> list[str]:
    """A name per span ``[start, end)`` of ``blocks``; ``fixed`` names (the author's headings) are kept.

    ``words`` are the blocks' words when the caller has read them already (``block_words``).

    Made-up names differ from each other and from the fixed ones.
    """
    fixed = list(fixed) if fixed is not None else [None] * len(spans)
    if all(fixed):
        return [trim_title(name) for name in fixed if name]
    if words is None:
        words = [block_words(block.text) for block in blocks]
    # How each word is used across the essay (verb or noun), and its rarity in general English.
    verbs: Counter[str] = Counter()
    heads: Counter[str] = Counter()
    forms: dict[str, str] = {}
    for block in words:
        verbs.update(block.verbs)
        heads.update(block.heads)
        forms.update(block.forms)
    roles = _Roles(verbs, heads)
    general = {term: rarity(form) for term, form in forms.items()}
    used = {trim_title(name).lower() for name in fixed if name}
    used_stems: list[set[str]] = []
    names: list[str] = []
    for (start, end), given in zip(spans, fixed, strict=True):
        if given:
            names.append(trim_title(given))
            continue
        ranked = _rank(words[start:end], roles, general)
        name = None
        for candidate in _prefer_phrases(ranked):
            shown = trim_title(_display(candidate.words))
            key_stems = set(candidate.stems)
            if shown.lower() in used or any(key_stems <= earlier for earlier in used_stems):
                continue
            name = shown
            used_stems.append(key_stems)
            break
        if name is None:
            base = _fallback(" ".join(block.text for block in blocks[start:end]))
            name, suffix = base, 2
            while name.lower() in used:
                # Only reached when sections share all their words; keep names distinct anyway.
                name = trim_title(f"{base} ({suffix})")
                suffix += 1
        used.add(name.lower())
        names.append(name)
    return names


@dataclass(slots=True)
class _Roles:
    """How a word is used across the essay: as a verb, or as the last word of a noun phrase."""

    verb: Counter[str]
    head: Counter[str]

    def can_end(self, word: str) -> bool:
        return self.head[word] > self.verb[word]

    def can_start(self, word: str) -> bool:
        return self.verb[word] * 2 <= self.head[word] + self.verb[word] or self.head[word] > self.verb[word]


def _prefer_phrases(ranked: Sequence[_Candidate]) -> list[_Candidate]:
    """The ranking with each single word preceded by the best phrase containing it ("Costs" ->
    "Costs of the war"): a name is a phrase where the section has one."""
    result: list[_Candidate] = []
    placed: set[tuple[str, ...]] = set()
    for candidate in ranked:
        if len(candidate.stems) == 1:
            word = candidate.stems[0]
            phrase = next((c for c in ranked if len(c.stems) > 1 and word in c.stems and c.stems not in placed), None)
            if phrase is not None:
                result.append(phrase)
                placed.add(phrase.stems)
        if candidate.stems not in placed:
            result.append(candidate)
            placed.add(candidate.stems)
    return result


def _opening_stems(section: Sequence[BlockWords]) -> set[str]:
    """Content stems of the section's first ``OPENING_SENTENCES`` sentences."""
    opening: set[str] = set()
    sentence_offset = 0
    for block in section:
        for run, number in block.runs:
            if sentence_offset + number >= OPENING_SENTENCES:
                return opening
            opening.update(word.stem for word in run if word.content)
        sentence_offset += block.runs[-1][1] + 1 if block.runs else 0
    return opening


def _rank(section: Sequence[BlockWords], roles: _Roles, general: dict[str, float]) -> list[_Candidate]:
    counts: Counter[str] = Counter()
    # How many of the section's sentences use each word: a word the section keeps coming back
    # to, not one a single sentence repeats ("a dentist called Torbjörn ... Torbjörn said").
    sentences: Counter[str] = Counter()
    for block in section:
        counts.update(block.stems)
        by_sentence: dict[int, set[str]] = {}
        for run, number in block.runs:
            by_sentence.setdefault(number, set()).update(word.stem for word in run if word.content)
        for used in by_sentence.values():
            sentences.update(used)
    # A word weighs the sentences using it times its rarity in general English: what the
    # section keeps talking about ("socialism", "dentist"), not what any text says ("people").
    weight = {term: sentences[term] * general[term] for term in counts}
    for term in _opening_stems(section):
        weight[term] *= OPENING_BONUS

    # Only phrases holding one of the section's strongest words can win: skip the rest early.
    # A phrase needs a word the section uses more than once (below), so only those compete.
    repeated = [term for term, count in counts.items() if count > 1] or list(counts)
    strongest = set(heapq.nlargest(STRONG_WORDS, repeated, key=weight.__getitem__))
    seen: dict[tuple[str, ...], tuple[tuple[Word, ...], int]] = {}
    for block in section:
        if strongest.isdisjoint(block.stems):
            continue
        for run, _ in block.runs:
            stems = [word.stem for word in run]
            if strongest.isdisjoint(stems):
                continue
            for key, words in _candidates(run, stems, strongest):
                earlier = seen.get(key)
                seen[key] = (earlier[0], earlier[1] + 1) if earlier else (words, 1)
    ranked: list[_Candidate] = []
    can_end, can_start = roles.can_end, roles.can_start
    for key, (words, repeats) in seen.items():
        content = [word for word in key if word in weight]
        if repeats < 2 and all(counts[word] < 2 for word in content):
            continue  # a phrase of words said once is an aside, not the subject
        if len(set(content)) < len(content) or not can_end(key[-1]) or not can_start(key[0]):
            continue
        if words[0].surface.lower().endswith("ly") or words[-1].surface.lower().endswith("ly"):
            continue  # an adverb at either end ("Closely with Christian") is not a name
        score = sum([weight[word] for word in content]) / len(content) ** PHRASE_NORM
        if repeats > 1:
            score *= 1.0 + math.log(repeats)
        if len(content) == 1:
            score *= SINGLE_WORD_FACTOR
        elif len(content) == MAX_NAME_WORDS:
            score *= 0.9
        ranked.append(_Candidate(key, words, score))
    ranked.sort(key=lambda c: (-c.score, len(c.stems), c.stems))
    return ranked
