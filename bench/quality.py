"""Quality benchmark: the essay analysis against the hand-labelled essays.

Each ``tests/fixtures/labelled/NAME.md`` essay has a ``NAME.labels.json`` with the gold
sections, quotes, figures, traps (``not_figures``...) and references; the format is described
in ``tests/fixtures/labelled/README.md``. This module loads and validates the labels, scores
predictions against them with pure functions (unit-tested in ``tests/essays/test_labelled_set.py``),
and, when run, prints a table:

    python -m bench.quality          # per-essay and total table
    python -m bench.quality --json   # the same numbers as JSON

The scorer is deliberately independent of the code it scores: it has its own normalisation
and word lists, so a bug in the analysis cannot hide itself by also bending the yardstick.
It always exits 0: it is a report, not a gate.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, get_args

import frontmatter

from bot.essays.model import Analysis, Block, Essay, Figure, FigureKind, Quote, Reference, Section

LABELLED_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "labelled"
# Essays written for the quotation and figure shapes of issue 17; apart because other tests ingest LABELLED_DIR.
SHAPES_DIR = LABELLED_DIR.parent / "shapes"
HELDOUT_DIR = LABELLED_DIR.parent / "heldout"

FIGURE_KINDS: frozenset[str] = frozenset(get_args(FigureKind))
GOLD_QUOTE_KINDS = frozenset({"direct", "epigraph", "scare"})
CURRENCIES = frozenset({"USD", "EUR", "GBP"})
DURATION_UNITS = frozenset({"years", "months", "weeks", "days", "hours", "minutes"})
# A predicted value is right when within 0.5% of the gold one.
VALUE_TOLERANCE = 0.005
# A predicted subject is right when it shares at least half the gold subject's content words.
SUBJECT_OVERLAP = 0.5
MIN_QUOTE_WORDS = 4

_TOP_KEYS = frozenset({"sections", "quotes", "not_quotes", "figures", "not_figures", "references", "not_references"})
_REQUIRED_TOP_KEYS = frozenset({"sections", "quotes", "figures", "not_figures", "references"})
_SECTION_KEYS = frozenset({"title", "first_words", "from_heading"})
_QUOTE_KEYS = frozenset({"text", "speaker", "kind"})
_FIGURE_KEYS = frozenset({"text", "kind", "value", "unit", "subject", "value_high"})
_REFERENCE_KEYS = frozenset({"text", "date", "title", "url"})
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UNIT_PER_RE = re.compile(r"^(USD|EUR|GBP) per \w[\w ]*$")

_CHAR_MAP = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "\u00a0": " "})
_EDGE_CHARS = "\"' .,;:!?"
_WORD_RE = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*")
_STOPWORDS = frozenset(
    """a an and are as at be by for from has have in is it its of on or over per than that the their
    this to was were which with""".split()
)
_NAME_TITLES = frozenset(
    """mr mrs ms dr prof professor sir dame justice judge senator sen rep representative governor gov
    mayor councillor councilor attorney general treasurer state chief president minister secretary
    leader majority minority senate house deputy""".split()
)


class LabelError(ValueError):
    """A labels file that does not follow the format, with the file and the reason."""


# ---------------------------------------------------------------------------
# Gold labels


@dataclass(frozen=True, slots=True)
class GoldSection:
    title: str
    first_words: str
    from_heading: bool = False


@dataclass(frozen=True, slots=True)
class GoldQuote:
    text: str
    speaker: str | None
    kind: str


@dataclass(frozen=True, slots=True)
class GoldFigure:
    text: str
    kind: str
    value: float | None
    unit: str | None
    subject: str
    value_high: float | None = None


@dataclass(frozen=True, slots=True)
class GoldReference:
    text: str
    date: date | None = None
    title: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Labels:
    sections: tuple[GoldSection, ...]
    quotes: tuple[GoldQuote, ...]
    figures: tuple[GoldFigure, ...]
    not_figures: tuple[str, ...]
    references: tuple[GoldReference, ...]
    not_quotes: tuple[str, ...] = ()
    not_references: tuple[str, ...] = ()


def _fail(where: str, reason: str) -> LabelError:
    return LabelError(f"{where}: {reason}")


def _keys(item: Any, allowed: frozenset[str], required: frozenset[str], where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _fail(where, "expected an object")
    unknown = set(item) - allowed
    missing = required - set(item)
    if unknown:
        raise _fail(where, f"unknown keys {sorted(unknown)}")
    if missing:
        raise _fail(where, f"missing keys {sorted(missing)}")
    return item


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, "expected a non-empty string")
    return value


def _optional_text(value: Any, where: str) -> str | None:
    return None if value is None else _text(value, where)


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(where, "expected a number or null")
    return float(value)


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, "expected a list")
    return value


def _parse_section(item: Any, where: str) -> GoldSection:
    data = _keys(item, _SECTION_KEYS, frozenset({"title", "first_words"}), where)
    from_heading = data.get("from_heading", False)
    if not isinstance(from_heading, bool):
        raise _fail(where, "from_heading must be true or false")
    return GoldSection(
        title=_text(data["title"], where),
        first_words=_text(data["first_words"], where),
        from_heading=from_heading,
    )


def _parse_quote(item: Any, where: str) -> GoldQuote:
    data = _keys(item, _QUOTE_KEYS, _QUOTE_KEYS, where)
    text = _text(data["text"], where)
    kind = data["kind"]
    if kind not in GOLD_QUOTE_KINDS:
        raise _fail(where, f"kind must be one of {sorted(GOLD_QUOTE_KINDS)}")
    speaker = _optional_text(data["speaker"], where)
    if kind == "scare" and speaker is not None:
        raise _fail(where, "scare quotes have no speaker")
    if kind != "scare" and len(text.split()) < MIN_QUOTE_WORDS:
        raise _fail(where, f"a direct or epigraph quote label needs at least {MIN_QUOTE_WORDS} words")
    return GoldQuote(text=text, speaker=speaker, kind=kind)


def _check_figure_conventions(figure: GoldFigure, where: str) -> None:
    """The value/unit conventions the figure extractor follows (see the labelled README)."""
    kind, value, unit = figure.kind, figure.value, figure.unit
    if kind in {"date", "time"}:
        if value is not None:
            raise _fail(where, f"{kind} figures have a null value")
        if kind == "date" and (unit is None or not _ISO_DATE_RE.match(unit)):
            raise _fail(where, "date figures carry the resolved date as unit YYYY-MM-DD")
        return
    if value is None:
        raise _fail(where, f"{kind} figures need a value")
    expected: dict[str, Callable[[str | None], bool]] = {
        "money": lambda u: u in CURRENCIES,
        "per_unit": lambda u: u is not None and bool(_UNIT_PER_RE.match(u)) and u.split()[-1] not in CURRENCIES,
        # A bare "13 to 1" has no unit; "$1.31 for every dollar" is "USD per USD".
        "ratio": lambda u: u is None or (bool(_UNIT_PER_RE.match(u)) and u.split()[-1] in CURRENCIES),
        "percent": lambda u: u == "%",
        "percentage_points": lambda u: u == "pp",
        "count": lambda u: u is None,
        "year": lambda u: u == "year",
        "duration": lambda u: u in DURATION_UNITS,
    }
    if not expected[kind](unit):
        raise _fail(where, f"unit {unit!r} does not follow the convention for {kind}")
    if kind == "year" and not (1000 <= value <= 2999 and value == int(value)):
        raise _fail(where, "a year value is a whole year number")


def _parse_figure(item: Any, where: str) -> GoldFigure:
    data = _keys(item, _FIGURE_KEYS, _FIGURE_KEYS - {"value_high"}, where)
    kind = data["kind"]
    if kind not in FIGURE_KINDS:
        raise _fail(where, f"kind must be one of {sorted(FIGURE_KINDS)}")
    figure = GoldFigure(
        text=_text(data["text"], where),
        kind=kind,
        value=_number(data["value"], where),
        unit=_optional_text(data["unit"], where),
        subject=_text(data["subject"], where),
        value_high=_number(data.get("value_high"), where),
    )
    _check_figure_conventions(figure, where)
    if figure.value_high is not None and (figure.value is None or figure.value_high <= figure.value):
        raise _fail(where, "value_high must be above value")
    return figure


def _parse_date(value: Any, where: str) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _ISO_DATE_RE.match(value):
        raise _fail(where, "date must be YYYY-MM-DD or null")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise _fail(where, str(error)) from error


def _parse_reference(item: Any, where: str) -> GoldReference:
    data = _keys(item, _REFERENCE_KEYS, frozenset({"text", "date", "title"}), where)
    return GoldReference(
        text=_text(data["text"], where),
        date=_parse_date(data["date"], where),
        title=_optional_text(data["title"], where),
        url=_optional_text(data.get("url"), where),
    )


def parse_labels(data: Any, *, where: str = "labels") -> Labels:
    """Validate and convert a decoded labels document; raise LabelError saying what is wrong."""
    top = _keys(data, _TOP_KEYS, _REQUIRED_TOP_KEYS, where)
    sections = tuple(
        _parse_section(item, f"{where} sections[{i}]") for i, item in enumerate(_list(top["sections"], where))
    )
    if not sections:
        raise _fail(where, "at least one section is needed")
    strings = {
        key: tuple(_text(s, f"{where} {key}[{i}]") for i, s in enumerate(_list(top.get(key, []), where)))
        for key in ("not_figures", "not_quotes", "not_references")
    }
    return Labels(
        sections=sections,
        quotes=tuple(_parse_quote(q, f"{where} quotes[{i}]") for i, q in enumerate(_list(top["quotes"], where))),
        figures=tuple(_parse_figure(f, f"{where} figures[{i}]") for i, f in enumerate(_list(top["figures"], where))),
        not_figures=strings["not_figures"],
        references=tuple(
            _parse_reference(r, f"{where} references[{i}]") for i, r in enumerate(_list(top["references"], where))
        ),
        not_quotes=strings["not_quotes"],
        not_references=strings["not_references"],
    )


def load_labels(path: Path) -> Labels:
    """Read and validate one ``NAME.labels.json``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise _fail(path.name, f"invalid JSON: {error}") from error
    return parse_labels(data, where=path.name)


def labelled_pairs(directory: Path = LABELLED_DIR) -> list[tuple[Path, Path]]:
    """Every ``(essay.md, essay.labels.json)`` pair in the directory, by name."""
    pairs = []
    for essay_path in sorted(directory.glob("*.md")):
        if essay_path.name.lower() == "readme.md":
            continue
        pairs.append((essay_path, essay_path.with_name(essay_path.stem + ".labels.json")))
    return pairs


# ---------------------------------------------------------------------------
# Text helpers

_MD_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS_RE = re.compile(r"\*\*|__")
_MD_LINE_PREFIX_RE = re.compile(r"^(?:#{1,6}\s+|>\s?)", re.MULTILINE)


def markdown_plain_text(markdown: str) -> str:
    """The essay body as plain paragraphs, with only the Markdown the fixtures use removed.

    Used to check that labels quote the essay exactly, independently of the project's intake.
    """
    body = frontmatter.loads(markdown).content
    body = _MD_LINK_RE.sub(r"\1", body)
    body = _MD_EMPHASIS_RE.sub("", body)
    body = _MD_LINE_PREFIX_RE.sub("", body)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", body)]
    return "\n\n".join(p for p in paragraphs if p)


def normalise(text: str) -> str:
    """Case-, quote-mark- and whitespace-insensitive form used for every text comparison."""
    text = unicodedata.normalize("NFKC", text).translate(_CHAR_MAP).casefold()
    return " ".join(text.split()).strip(_EDGE_CHARS)


def _find_bounded(container: str, part: str) -> int:
    """Index of ``part`` in ``container`` on word boundaries ("4" is not inside "140"), or -1."""
    start = container.find(part)
    while start != -1:
        end = start + len(part)
        before_ok = start == 0 or not container[start - 1].isalnum() or not part[0].isalnum()
        after_ok = end == len(container) or not container[end].isalnum() or not part[-1].isalnum()
        if before_ok and after_ok:
            return start
        start = container.find(part, start + 1)
    return -1


def count_bounded(container: str, part: str) -> int:
    """Non-overlapping occurrences of ``part`` on word boundaries."""
    count, offset = 0, 0
    while True:
        found = _find_bounded(container[offset:], part)
        if found == -1:
            return count
        count += 1
        offset += found + len(part)


def _overlap_offset(pred: str, gold: str) -> int | None:
    """Where one normalised text sits inside the other, or None when neither contains the other."""
    if not pred or not gold:
        return None
    found = _find_bounded(pred, gold)
    if found == -1:
        found = _find_bounded(gold, pred)
    return None if found == -1 else found


def texts_overlap(pred: str, gold: str) -> bool:
    """True when one text contains the other after normalisation."""
    return _overlap_offset(normalise(pred), normalise(gold)) is not None


def match_texts(pred: Sequence[str], gold: Sequence[str]) -> list[tuple[int, int]]:
    """One-to-one greedy matching of predicted to gold texts by containment.

    Pairs are taken best first: the contained text sitting earliest in the container (labels
    start where the quotation or figure starts), then the closest in length. Returns
    ``(pred_index, gold_index)`` pairs.
    """
    pred_norm = [normalise(t) for t in pred]
    gold_norm = [normalise(t) for t in gold]
    candidates: list[tuple[int, float, int, int]] = []
    for i, p in enumerate(pred_norm):
        for j, g in enumerate(gold_norm):
            offset = _overlap_offset(p, g)
            if offset is not None:
                closeness = min(len(p), len(g)) / max(len(p), len(g))
                candidates.append((offset, -closeness, i, j))
    candidates.sort()
    used_pred: set[int] = set()
    used_gold: set[int] = set()
    pairs = []
    for _, _, i, j in candidates:
        if i not in used_pred and j not in used_gold:
            used_pred.add(i)
            used_gold.add(j)
            pairs.append((i, j))
    return sorted(pairs)


def content_words(text: str) -> set[str]:
    """Lowercased words minus a few stopwords, with a crude plural/possessive strip."""
    found = set()
    for word in _WORD_RE.findall(normalise(text)):
        word = word.removesuffix("'s")
        if word in _STOPWORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        found.add(word)
    return found


def subject_matches(pred: str | None, gold: str, *, share: float = SUBJECT_OVERLAP) -> bool:
    """At least ``share`` (by default half) of the gold subject's content words are in the predicted subject."""
    wanted = content_words(gold)
    if not wanted:
        return True
    if not pred:
        return False
    return len(wanted & content_words(pred)) / len(wanted) >= share


def value_matches(pred: float | None, gold: float | None) -> bool:
    if pred is None or gold is None:
        return pred is None and gold is None
    if gold == 0:
        return pred == 0
    return abs(pred - gold) <= VALUE_TOLERANCE * abs(gold)


def _name_tokens(name: str) -> list[str]:
    tokens = [t.removesuffix("'s") for t in _WORD_RE.findall(normalise(name))]
    while len(tokens) > 1 and tokens[0] in _NAME_TITLES:
        tokens = tokens[1:]
    return tokens


def same_speaker(pred: str | None, gold: str | None) -> bool:
    """Equal after normalisation and title trimming, the same last name, or one the other's initials
    ("RTG" for "Right Thinking Girl"); both None is equal."""
    if pred is None or gold is None:
        return pred is None and gold is None
    p, g = _name_tokens(pred), _name_tokens(gold)
    return bool(p and g) and (p == g or p[-1] == g[-1] or _initials_of(p, g) or _initials_of(g, p))


def _initials_of(short: list[str], full: list[str]) -> bool:
    return len(short) == 1 and len(full) >= 2 and short[0] == "".join(word[0] for word in full)


# ---------------------------------------------------------------------------
# Scores (counts, so essays add up to micro-averaged totals)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(slots=True)
class FigureScore:
    predicted: int = 0
    gold: int = 0
    matched: int = 0
    kind_ok: int = 0
    value_ok: int = 0
    unit_scored: int = 0
    unit_ok: int = 0
    subject_ok: int = 0
    subject_full: int = 0
    traps: int = 0
    false_figures: int = 0

    def __add__(self, other: FigureScore) -> FigureScore:
        return FigureScore(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))

    def summary(self) -> dict[str, float | int | None]:
        return {
            "precision": _ratio(self.matched, self.predicted),
            "recall": _ratio(self.matched, self.gold),
            "kind_accuracy": _ratio(self.kind_ok, self.matched),
            "value_accuracy": _ratio(self.value_ok, self.matched),
            "unit_accuracy": _ratio(self.unit_ok, self.unit_scored),
            "subject_accuracy": _ratio(self.subject_ok, self.matched),
            "subject_full_accuracy": _ratio(self.subject_full, self.matched),
            "false_figures": self.false_figures,
            "traps": self.traps,
            "predicted": self.predicted,
            "gold": self.gold,
        }


@dataclass(slots=True)
class QuoteScore:
    predicted: int = 0
    gold: int = 0
    matched: int = 0
    speaker_ok: int = 0
    kind_ok: int = 0
    scare_predicted: int = 0
    scare_gold: int = 0
    scare_matched: int = 0
    false_quotes: int = 0
    # Every gold quotation (scare quotes too) found with the right speaker, or rightly none.
    every_gold: int = 0
    every_right: int = 0

    def __add__(self, other: QuoteScore) -> QuoteScore:
        return QuoteScore(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))

    def summary(self) -> dict[str, float | int | None]:
        return {
            "precision": _ratio(self.matched, self.predicted),
            "recall": _ratio(self.matched, self.gold),
            "speaker_accuracy": _ratio(self.speaker_ok, self.matched),
            "kind_accuracy": _ratio(self.kind_ok, self.matched),
            "scare_precision": _ratio(self.scare_matched, self.scare_predicted),
            "scare_recall": _ratio(self.scare_matched, self.scare_gold),
            "false_quotes": self.false_quotes,
            "every_quote_speaker_right": _ratio(self.every_right, self.every_gold),
            "every_quote": self.every_gold,
            "predicted": self.predicted,
            "gold": self.gold,
        }


@dataclass(slots=True)
class SectionScore:
    errors: float = 0.0
    probes: int = 0
    gold_count: int = 0
    predicted_count: int = 0
    count_diff: int = 0
    boundaries: int = 0
    boundaries_exact: int = 0
    heading_titles: int = 0
    heading_titles_ok: int = 0
    essays: int = 0

    def __add__(self, other: SectionScore) -> SectionScore:
        return SectionScore(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))

    def summary(self) -> dict[str, float | int | None]:
        return {
            "pk": _ratio(self.errors, self.probes),
            "gold_sections": self.gold_count,
            "predicted_sections": self.predicted_count,
            "mean_abs_count_diff": _ratio(self.count_diff, self.essays),
            "exact_boundaries": _ratio(self.boundaries_exact, self.boundaries),
            "heading_title_accuracy": _ratio(self.heading_titles_ok, self.heading_titles),
        }


@dataclass(slots=True)
class ReferenceScore:
    predicted: int = 0
    gold: int = 0
    matched: int = 0
    dated: int = 0
    date_ok: int = 0
    false_references: int = 0

    def __add__(self, other: ReferenceScore) -> ReferenceScore:
        return ReferenceScore(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))

    def summary(self) -> dict[str, float | int | None]:
        return {
            "precision": _ratio(self.matched, self.predicted),
            "recall": _ratio(self.matched, self.gold),
            "date_accuracy": _ratio(self.date_ok, self.dated),
            "false_references": self.false_references,
            "predicted": self.predicted,
            "gold": self.gold,
        }


def _values(score: Any) -> Iterator[Any]:
    return (getattr(score, name) for name in score.__slots__)


def count_false_figures(pred: Sequence[Figure], traps: Sequence[str]) -> int:
    """How many trap strings ("third coffee", "Part 2") were taken for figures.

    A trap counts when a predicted figure's text contains it, or sits inside it in the very
    sentence the trap comes from (so a "2" found elsewhere does not count against "Part 2").
    """
    caught = 0
    for trap in traps:
        wanted = normalise(trap)
        for figure in pred:
            text = normalise(figure.text)
            if not text:
                continue
            inside_trap = _find_bounded(wanted, text) != -1 and _find_bounded(normalise(figure.context), wanted) != -1
            if _find_bounded(text, wanted) != -1 or inside_trap:
                caught += 1
                break
    return caught


def _same_unit(pred: str | None, gold: str | None) -> bool:
    if pred is None or gold is None:
        return pred is None and gold is None
    return normalise(pred) == normalise(gold)


def score_figures(pred: Sequence[Figure], gold: Sequence[GoldFigure], traps: Sequence[str] = ()) -> FigureScore:
    """Span precision/recall, then kind, value, unit and subject accuracy among the matches."""
    score = FigureScore(predicted=len(pred), gold=len(gold), traps=len(traps))
    for i, j in match_texts([f.text for f in pred], [g.text for g in gold]):
        p, g = pred[i], gold[j]
        score.matched += 1
        score.kind_ok += p.kind == g.kind
        score.value_ok += value_matches(p.value, g.value)
        if g.kind != "time":  # time units (zones) are free-form
            score.unit_scored += 1
            score.unit_ok += _same_unit(p.unit, g.unit)
        score.subject_ok += subject_matches(p.subject, g.subject)
        score.subject_full += subject_matches(p.subject, g.subject, share=1.0)
    score.false_figures = count_false_figures(pred, traps)
    return score


def score_quotes(pred: Sequence[Quote], gold: Sequence[GoldQuote], not_quotes: Sequence[str] = ()) -> QuoteScore:
    """Direct and epigraph quotes matched by text, with speakers; scare quotes on their own."""
    # The analysis reports each distinct quotation of an essay once, so a scare phrase used twice is one.
    gold = _distinct(gold)
    spoken = [q for q in pred if q.kind in {"direct", "epigraph"}]
    scare = [q for q in pred if q.kind == "scare"]
    gold_spoken = [q for q in gold if q.kind != "scare"]
    gold_scare = [q for q in gold if q.kind == "scare"]
    score = QuoteScore(
        predicted=len(spoken), gold=len(gold_spoken), scare_predicted=len(scare), scare_gold=len(gold_scare)
    )
    for i, j in match_texts([q.text for q in spoken], [q.text for q in gold_spoken]):
        score.matched += 1
        score.speaker_ok += same_speaker(spoken[i].speaker, gold_spoken[j].speaker)
        score.kind_ok += spoken[i].kind == gold_spoken[j].kind
    score.scare_matched = len(match_texts([q.text for q in scare], [q.text for q in gold_scare]))
    # Kind aside: a quotation reported with the right speaker, or a scare quote reported with none.
    found = spoken + scare
    score.every_gold = len(gold)
    score.every_right = sum(
        same_speaker(found[i].speaker, gold[j].speaker)
        for i, j in match_texts([q.text for q in found], [q.text for q in gold])
    )
    score.false_quotes = sum(any(texts_overlap(q.text, trap) for q in spoken + scare) for trap in not_quotes)
    return score


def _distinct(gold: Sequence[GoldQuote]) -> list[GoldQuote]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for quote in gold:
        key = (quote.kind, normalise(quote.text))
        if key not in seen:
            seen.add(key)
            kept.append(quote)
    return kept


def _same_url(left: str | None, right: str | None) -> bool:
    return bool(left and right) and normalise(left or "").rstrip("/") == normalise(right or "").rstrip("/")


def score_references(
    pred: Sequence[Reference], gold: Sequence[GoldReference], not_references: Sequence[str] = ()
) -> ReferenceScore:
    """References matched by text overlap or by the same link; date accuracy where the text dates it."""
    score = ReferenceScore(predicted=len(pred), gold=len(gold))
    pairs = {(i, j) for i, j in match_texts([r.text for r in pred], [g.text for g in gold])}
    used_pred = {i for i, _ in pairs}
    used_gold = {j for _, j in pairs}
    for j, g in enumerate(gold):
        if j in used_gold or not g.url:
            continue
        for i, p in enumerate(pred):
            if i not in used_pred and _same_url(p.url, g.url):
                pairs.add((i, j))
                used_pred.add(i)
                used_gold.add(j)
                break
    for i, j in pairs:
        score.matched += 1
        if gold[j].date is not None:
            score.dated += 1
            score.date_ok += pred[i].date == gold[j].date
    score.false_references = sum(any(texts_overlap(r.text, trap) for r in pred) for trap in not_references)
    return score


# ---------------------------------------------------------------------------
# Sections


def _word_tokens(text: str) -> list[str]:
    return _WORD_RE.findall(normalise(text))


def gold_section_starts(blocks: Sequence[Block], sections: Sequence[GoldSection]) -> list[int]:
    """The block index where each gold section starts.

    A section starts at the first block, after the previous section's start, whose words begin
    with ``first_words``; headings right above that block belong to the section.
    """
    starts: list[int] = []
    for section in sections:
        wanted = _word_tokens(section.first_words)
        begin = starts[-1] + 1 if starts else 0
        found = next(
            (i for i in range(begin, len(blocks)) if _word_tokens(blocks[i].text)[: len(wanted)] == wanted),
            None,
        )
        if found is None:
            raise LabelError(f"no block after #{begin} starts with {section.first_words!r}")
        floor = starts[-1] + 1 if starts else 0
        while found > floor and blocks[found - 1].kind == "heading":
            found -= 1
        starts.append(found)
    if starts:
        starts[0] = 0  # whatever precedes the first labelled paragraph belongs to the first section
    return starts


def _segment_ids(word_counts: Sequence[int], starts: Sequence[int]) -> list[int]:
    boundaries = set(starts)
    ids: list[int] = []
    segment = 0
    for index, count in enumerate(word_counts):
        if index in boundaries and index != 0:
            segment += 1
        ids.extend([segment] * count)
    return ids


def pk_errors(reference: Sequence[int], hypothesis: Sequence[int], k: int) -> tuple[int, int]:
    """Beeferman's Pk as (disagreements, probes) over per-word segment ids."""
    if len(reference) != len(hypothesis):
        raise ValueError("reference and hypothesis must cover the same words")
    probes = max(0, len(reference) - k)
    errors = sum((reference[i] == reference[i + k]) != (hypothesis[i] == hypothesis[i + k]) for i in range(probes))
    return errors, probes


def score_sections(
    word_counts: Sequence[int],
    gold_starts: Sequence[int],
    pred_starts: Sequence[int],
    *,
    gold_titles: Sequence[tuple[int, str]] = (),
    pred_titles: Sequence[tuple[int, str]] = (),
) -> SectionScore:
    """Pk with k = half the mean gold section length in words, plus counts and exact boundaries.

    ``gold_titles`` are (start, title) for sections that come from the author's headings;
    ``pred_titles`` are the predicted (start, title) pairs to compare them with.
    """
    total = sum(word_counts)
    k = max(1, round(total / max(1, len(gold_starts)) / 2))
    errors, probes = pk_errors(_segment_ids(word_counts, gold_starts), _segment_ids(word_counts, pred_starts), k)
    inner_gold = set(gold_starts) - {0}
    predicted = dict(pred_titles)
    return SectionScore(
        errors=errors,
        probes=probes,
        gold_count=len(gold_starts),
        predicted_count=len(pred_starts),
        count_diff=abs(len(gold_starts) - len(pred_starts)),
        boundaries=len(inner_gold),
        boundaries_exact=len(inner_gold & set(pred_starts)),
        heading_titles=len(gold_titles),
        heading_titles_ok=sum(normalise(predicted.get(start, "")) == normalise(t) for start, t in gold_titles),
        essays=1,
    )


def score_essay_sections(blocks: Sequence[Block], gold: Sequence[GoldSection], pred: Sequence[Section]) -> SectionScore:
    starts = gold_section_starts(blocks, gold)
    return score_sections(
        [len(b.text.split()) for b in blocks],
        starts,
        [s.start for s in pred] or [0],
        gold_titles=[(start, g.title) for start, g in zip(starts, gold, strict=True) if g.from_heading],
        pred_titles=[(s.start, s.title) for s in pred],
    )


# ---------------------------------------------------------------------------
# Running the analysis over the labelled set


@dataclass(slots=True)
class EssayResult:
    name: str
    words: int
    figures: FigureScore = field(default_factory=FigureScore)
    quotes: QuoteScore = field(default_factory=QuoteScore)
    sections: SectionScore = field(default_factory=SectionScore)
    references: ReferenceScore = field(default_factory=ReferenceScore)

    def summary(self) -> dict[str, Any]:
        return {
            "words": self.words,
            "figures": self.figures.summary(),
            "quotes": self.quotes.summary(),
            "sections": self.sections.summary(),
            "references": self.references.summary(),
        }


def load_essay(path: Path) -> Essay:
    """A labelled Markdown essay through the project's own intake."""
    from bot.essays.sources import parse_markdown

    entry = parse_markdown(path.read_text(encoding="utf-8"), path=str(path))
    return Essay(
        key=entry.entry_id or entry.url or str(path),
        title=entry.title,
        blocks=entry.blocks or (),
        url=entry.url,
        author=entry.author,
        published=entry.published,
        labels=entry.labels,
        source=str(path),
        links=entry.links,
    )


def score_analysis(name: str, essay: Essay, labels: Labels, analysis: Analysis) -> EssayResult:
    return EssayResult(
        name=name,
        words=essay.word_count,
        figures=score_figures(analysis.figures, labels.figures, labels.not_figures),
        quotes=score_quotes(analysis.quotes, labels.quotes, labels.not_quotes),
        sections=score_essay_sections(essay.blocks, labels.sections, analysis.sections),
        references=score_references(analysis.references, labels.references, labels.not_references),
    )


def evaluate(directory: Path = LABELLED_DIR) -> list[EssayResult]:
    from bot.essays.analysis import analyse

    results = []
    for essay_path, labels_path in labelled_pairs(directory):
        essay = load_essay(essay_path)
        results.append(score_analysis(essay_path.stem, essay, load_labels(labels_path), analyse(essay)))
    return results


def total(results: Sequence[EssayResult]) -> EssayResult:
    combined = EssayResult(name="TOTAL", words=sum(r.words for r in results))
    for result in results:
        combined.figures += result.figures
        combined.quotes += result.quotes
        combined.sections += result.sections
        combined.references += result.references
    return combined


# ---------------------------------------------------------------------------
# Real posts: quotes and figures hand-labelled on a real blog archive

POST_LABELS_DIR = Path(__file__).resolve().parent / "labels" / "socialmemorycomplex"
CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "socialmemorycomplex-posts"
# "report2": a second report set, drawn and labelled after the first tuning pass; "report3" a third,
# drawn and labelled before the third pass changed any rule; "report4" a fourth, drawn and labelled after
# that pass's last rule change and measured once; "report5" drawn and labelled before the fourth pass changed
# any rule, "report6" after its last rule change (see bench/README.md).
SPLITS = ("tune", "report", "report2", "report3", "report4", "report5", "report6")
# The held-out essays written for issue 17 (quotation and figure shapes from real posts), before its rules changed.
HELDOUT_SHAPE_ESSAYS = frozenset({"public-bank", "small-classes"})

_POST_KEYS = frozenset({"post", "split", "quotes", "not_quotes", "figures", "either_figures", "not_figures"})
_REQUIRED_POST_KEYS = frozenset({"post", "split", "quotes", "figures", "not_figures"})


@dataclass(frozen=True, slots=True)
class PostLabels:
    """Quotes and figures of one real post; ``either_figures`` may be read as figures or not."""

    post: str
    split: str
    quotes: tuple[GoldQuote, ...]
    figures: tuple[GoldFigure, ...]
    not_figures: tuple[str, ...] = ()
    not_quotes: tuple[str, ...] = ()
    either_figures: tuple[str, ...] = ()


def parse_post_labels(data: Any, *, where: str = "post labels") -> PostLabels:
    """Validate one ``POST.labels.json`` of ``bench/labels``; raise LabelError saying what is wrong."""
    top = _keys(data, _POST_KEYS, _REQUIRED_POST_KEYS, where)
    if top["split"] not in SPLITS:
        raise _fail(where, f"split must be one of {list(SPLITS)}")
    strings = {
        key: tuple(_text(s, f"{where} {key}[{i}]") for i, s in enumerate(_list(top.get(key, []), where)))
        for key in ("not_figures", "not_quotes", "either_figures")
    }
    return PostLabels(
        post=_text(top["post"], where),
        split=top["split"],
        quotes=tuple(_parse_quote(q, f"{where} quotes[{i}]") for i, q in enumerate(_list(top["quotes"], where))),
        figures=tuple(_parse_figure(f, f"{where} figures[{i}]") for i, f in enumerate(_list(top["figures"], where))),
        not_figures=strings["not_figures"],
        not_quotes=strings["not_quotes"],
        either_figures=strings["either_figures"],
    )


def load_post_labels(directory: Path = POST_LABELS_DIR) -> list[PostLabels]:
    labels = []
    for path in sorted(directory.glob("*.labels.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise _fail(path.name, f"invalid JSON: {error}") from error
        post = parse_post_labels(data, where=path.name)
        if path.name != f"{post.post}.labels.json":
            raise _fail(path.name, "the file is named after its post")
        labels.append(post)
    return labels


def without_either(pred: Sequence[Figure], either: Sequence[str]) -> list[Figure]:
    """Predictions that are not on a text a reader may or may not count as a figure ("a week or two")."""
    if not either:
        return list(pred)
    wanted = [normalise(text) for text in either]
    kept = []
    for figure in pred:
        text = normalise(figure.text)
        context = normalise(figure.context)
        on_either = any(
            _find_bounded(text, w) != -1 or (_find_bounded(w, text) != -1 and _find_bounded(context, w) != -1)
            for w in wanted
        )
        if not on_either:
            kept.append(figure)
    return kept


def load_post(post: str, corpus: Path = CORPUS_DIR) -> Essay:
    """A real post through the project's own intake, as the bot would read it."""
    from bot.essays.sources import read_path
    from bot.intake import entry_to_essay

    found = read_path(corpus / post)
    if len(found.entries) != 1:
        raise LabelError(f"{post}: expected one entry, read {len(found.entries)}")
    return entry_to_essay(found.entries[0][1])


def score_post(labels: PostLabels, essay: Essay, analysis: Analysis) -> EssayResult:
    figures = without_either(analysis.figures, labels.either_figures)
    return EssayResult(
        name=labels.post,
        words=essay.word_count,
        figures=score_figures(figures, labels.figures, labels.not_figures),
        quotes=score_quotes(analysis.quotes, labels.quotes, labels.not_quotes),
    )


def evaluate_posts(labels_dir: Path = POST_LABELS_DIR, corpus: Path = CORPUS_DIR) -> dict[str, list[EssayResult]]:
    """Results per split ("tune", "report"); empty when the corpus is not beside the project."""
    from bot.essays.analysis import analyse

    results: dict[str, list[EssayResult]] = {split: [] for split in SPLITS}
    if not corpus.is_dir():
        return results
    for labels in load_post_labels(labels_dir):
        essay = load_post(labels.post, corpus)
        results[labels.split].append(score_post(labels, essay, analyse(essay)))
    return results


_SUMMARY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("quotes", "quotes", "every_quote"),
    ("spkr all", "quotes", "every_quote_speaker_right"),
    ("quo R", "quotes", "recall"),
    ("quo P", "quotes", "precision"),
    ("spkr", "quotes", "speaker_accuracy"),
    ("figures", "figures", "gold"),
    ("fig P", "figures", "precision"),
    ("fig R", "figures", "recall"),
    ("value", "figures", "value_accuracy"),
    ("subj", "figures", "subject_accuracy"),
    ("subj all", "figures", "subject_full_accuracy"),
    ("traps", "figures", "false_figures"),
)


def format_summary(rows: Sequence[tuple[str, Sequence[EssayResult]]]) -> str:
    """One line per set: quotations (speaker right over every gold quotation) and figures."""
    width = max(len(name) for name, _ in rows)
    header = " ".join([f"{'set':<{width}}", f"{'essays':>6}", *(f"{title:>8}" for title, _, _ in _SUMMARY_COLUMNS)])
    lines = [header, "-" * len(header)]
    for name, results in rows:
        summary = total(results).summary()
        cells = [_cell(summary[group][key]) for _, group, key in _SUMMARY_COLUMNS]
        lines.append(" ".join([f"{name:<{width}}", f"{len(results):>6}", *(f"{c:>8}" for c in cells)]))
    return "\n".join(lines)


def summary_rows() -> list[tuple[str, list[EssayResult]]]:
    """Every labelled set the project has, for one table."""
    heldout = evaluate(HELDOUT_DIR)
    rows: list[tuple[str, list[EssayResult]]] = [
        ("labelled: earlier essays", evaluate(LABELLED_DIR)),
        ("labelled: issue-17 shapes", evaluate(SHAPES_DIR)),
        ("held-out: earlier essays", [r for r in heldout if r.name not in HELDOUT_SHAPE_ESSAYS]),
        ("held-out: issue-17 shapes", [r for r in heldout if r.name in HELDOUT_SHAPE_ESSAYS]),
    ]
    posts = evaluate_posts()
    rows.extend((f"real posts: {split}", posts[split]) for split in SPLITS if posts[split])
    return rows


# ---------------------------------------------------------------------------
# Report

_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("fig P", "figures", "precision"),
    ("fig R", "figures", "recall"),
    ("value", "figures", "value_accuracy"),
    ("unit", "figures", "unit_accuracy"),
    ("subj", "figures", "subject_accuracy"),
    ("traps", "figures", "false_figures"),
    ("quo P", "quotes", "precision"),
    ("quo R", "quotes", "recall"),
    ("spkr", "quotes", "speaker_accuracy"),
    ("scare P", "quotes", "scare_precision"),
    ("scare R", "quotes", "scare_recall"),
    ("Pk", "sections", "pk"),
    ("|Δn|", "sections", "mean_abs_count_diff"),
    ("ref P", "references", "precision"),
    ("ref R", "references", "recall"),
    ("ref date", "references", "date_accuracy"),
)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def format_table(results: Sequence[EssayResult]) -> str:
    rows = [*results, total(results)]
    name_width = max(len(r.name) for r in rows)
    header = " ".join([f"{'essay':<{name_width}}", *(f"{title:>8}" for title, _, _ in _COLUMNS)])
    lines = [header, "-" * len(header)]
    for result in rows:
        summary = result.summary()
        cells = [_cell(summary[group][key]) for _, group, key in _COLUMNS]
        lines.append(" ".join([f"{result.name:<{name_width}}", *(f"{c:>8}" for c in cells)]))
    combined = total(results)
    figures, quotes = combined.figures, combined.quotes
    lines.append("")
    lines.append(
        f"{len(results)} essays: {figures.gold} gold figures, "
        f"{quotes.gold} quotes (+{quotes.scare_gold} scare), {combined.sections.gold_count} sections, "
        f"{combined.references.gold} references; "
        f"traps read as figures: {figures.false_figures}/{figures.traps}."
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--dir", type=Path, default=LABELLED_DIR, help="directory of labelled essays")
    parser.add_argument(
        "--posts",
        action="store_true",
        help="the hand-labelled real posts (bench/labels/socialmemorycomplex), per post and split",
    )
    parser.add_argument("--summary", action="store_true", help="one quotes-and-figures line per labelled set")
    args = parser.parse_args(argv)
    if args.summary or args.posts:
        return _print_posts_or_summary(summary=args.summary, as_json=args.json)
    try:
        results = evaluate(args.dir)
    except ImportError as error:  # the analysis is still being assembled
        print(f"analysis not available: {error}", file=sys.stderr)
        return 0
    if args.json:
        payload = {
            "essays": {r.name: r.summary() for r in results},
            "total": total(results).summary(),
            "raw_total": {k: asdict(v) for k, v in _raw(total(results)).items()},
        }
        print(json.dumps(payload, indent=2))
    else:
        print(format_table(results))
    return 0


def _print_posts_or_summary(*, summary: bool, as_json: bool) -> int:
    if summary:
        rows = summary_rows()
    else:
        if not CORPUS_DIR.is_dir():
            print(f"skipped: corpus not found at {CORPUS_DIR}")
            return 0
        posts = evaluate_posts()
        rows = [(f"{split}: {r.name}", [r]) for split in SPLITS for r in posts[split]]
        rows.extend((f"TOTAL {split}", posts[split]) for split in SPLITS)
    if as_json:
        print(json.dumps({name: total(results).summary() for name, results in rows}, indent=2))
    else:
        print(format_summary(rows))
        if summary and not CORPUS_DIR.is_dir():
            print(f"(real posts skipped: corpus not found at {CORPUS_DIR})")
    return 0


def _raw(result: EssayResult) -> dict[str, Any]:
    return {
        "figures": result.figures,
        "quotes": result.quotes,
        "sections": result.sections,
        "references": result.references,
    }


if __name__ == "__main__":
    sys.exit(main())
