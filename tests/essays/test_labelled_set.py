"""The hand-labelled essays stay consistent with their labels, and the quality scorer is right.

The first half guards the fixtures so labels cannot rot: every label is well-formed, quotes the
essay exactly, and every number in an essay is either a labelled figure or a labelled trap.
The second half unit-tests the scoring functions of ``bench.quality`` on small hand-made inputs.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import cast, get_args

import frontmatter
import pytest

from bench.quality import (
    CORPUS_DIR,
    HELDOUT_DIR,
    HELDOUT_SHAPE_ESSAYS,
    LABELLED_DIR,
    SHAPES_DIR,
    GoldFigure,
    GoldQuote,
    GoldReference,
    GoldSection,
    LabelError,
    Labels,
    count_bounded,
    count_false_figures,
    gold_section_starts,
    labelled_pairs,
    load_essay,
    load_labels,
    load_post,
    load_post_labels,
    markdown_plain_text,
    match_texts,
    parse_labels,
    parse_post_labels,
    pk_errors,
    same_speaker,
    score_analysis,
    score_figures,
    score_quotes,
    score_references,
    score_sections,
    subject_matches,
    value_matches,
    without_either,
)
from bot.essays.model import Analysis, Block, Figure, FigureKind, Quote, QuoteKind, Reference, Section

# The held-out set follows the same format; it is kept apart so rules are not tuned on it.
PAIRS = labelled_pairs(LABELLED_DIR)
HELDOUT_PAIRS = labelled_pairs(HELDOUT_DIR)
# The issue-17 shapes: tuned on like the labelled set, kept in their own folder.
SHAPE_PAIRS = labelled_pairs(SHAPES_DIR)
SHAPE_ESSAYS = frozenset(essay.stem for essay, _ in SHAPE_PAIRS)
# Every essay of the three sets by name (names are unique across the sets), for the fixture checks.
DIRECTORIES = {essay.stem: essay.parent for essay, _ in [*PAIRS, *HELDOUT_PAIRS, *SHAPE_PAIRS]}
NAMES = list(DIRECTORIES)
LABELLED_NAMES = [essay.stem for essay, _ in PAIRS]

_NUMBER_WORDS = (
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
    "million billion trillion dozen"
).split()
_NUMBER_RE = re.compile(r"\d+|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_YEAR_IN_TEXT_RE = re.compile(r"\b\d{4}\b")


def _body(essay_path: Path) -> str:
    return markdown_plain_text(essay_path.read_text(encoding="utf-8"))


def _essay_path(name: str) -> Path:
    return DIRECTORIES[name] / f"{name}.md"


def _labels(name: str) -> Labels:
    return load_labels(DIRECTORIES[name] / f"{name}.labels.json")


# ---------------------------------------------------------------------------
# The fixtures


def test_the_set_has_at_least_six_essays_each_with_labels() -> None:
    assert len(PAIRS) >= 6
    for essay_path, labels_path in PAIRS:
        assert labels_path.exists(), f"{essay_path.name} has no labels file"
    stray = {p.name for p in LABELLED_DIR.glob("*.labels.json")} - {labels.name for _, labels in PAIRS}
    assert not stray, f"labels without an essay: {stray}"


def test_the_heldout_set_has_at_least_three_essays_each_with_labels() -> None:
    assert len(HELDOUT_PAIRS) >= 3
    for essay_path, labels_path in HELDOUT_PAIRS:
        assert labels_path.exists(), f"{essay_path.name} has no labels file"
    stray = {p.name for p in HELDOUT_DIR.glob("*.labels.json")} - {labels.name for _, labels in HELDOUT_PAIRS}
    assert not stray, f"labels without an essay: {stray}"
    stems = [essay.stem for essay, _ in [*PAIRS, *HELDOUT_PAIRS, *SHAPE_PAIRS]]
    assert len(stems) == len(set(stems)), "essay names are unique across the sets"


@pytest.mark.parametrize("name", NAMES)
def test_front_matter_and_length(name: str) -> None:
    post = frontmatter.loads(_essay_path(name).read_text(encoding="utf-8"))
    assert {"title", "date", "author", "tags", "permalink"} <= set(post.metadata)
    published = post.metadata["date"]
    assert isinstance(published, date)
    assert post.metadata["permalink"] == f"https://example-essays.blog/{published:%Y/%m}/{name}.html"
    words = len(_body(_essay_path(name)).split())
    assert 900 <= words <= 2000, f"{name} has {words} words"


@pytest.mark.parametrize("name", NAMES)
def test_labels_are_well_formed(name: str) -> None:
    labels = _labels(name)
    assert labels.sections and labels.quotes and labels.figures and labels.references
    first_words = [s.first_words for s in labels.sections]
    assert len(set(first_words)) == len(first_words)
    heading_titles = [s.title for s in labels.sections if s.from_heading]
    assert len(set(heading_titles)) == len(heading_titles)


@pytest.mark.parametrize("name", NAMES)
def test_every_labelled_text_occurs_in_the_essay(name: str) -> None:
    body = " ".join(_body(_essay_path(name)).split())
    labels = _labels(name)
    texts = [
        *(s.first_words for s in labels.sections),
        *(q.text for q in labels.quotes),
        *labels.not_quotes,
        *labels.not_figures,
        *(r.text for r in labels.references),
        *labels.not_references,
    ]
    missing = [text for text in texts if text not in body]
    assert not missing, f"not in {name}: {missing}"
    # Each figure label is one occurrence, so a text labelled n times must occur n times.
    for text, labelled in Counter(f.text for f in labels.figures).items():
        assert count_bounded(body, text) >= labelled, f"{text!r} labelled {labelled}x in {name}"


@pytest.mark.parametrize("name", NAMES)
def test_quote_labels_are_distinctive_and_scare_quotes_are_in_marks(name: str) -> None:
    body = " ".join(_body(_essay_path(name)).split())
    for quote in _labels(name).quotes:
        if quote.kind == "scare":
            marked = [f"{o}{quote.text}" for o in "\"“‘'"]
            assert any(m in body for m in marked), f"scare quote {quote.text!r} is not in quote marks"
        else:
            assert body.count(quote.text) == 1, f"{quote.text!r} is not distinctive in {name}"


@pytest.mark.parametrize("name", NAMES)
def test_every_number_in_the_essay_is_a_labelled_figure_or_trap(name: str) -> None:
    body = _body(_essay_path(name))
    labels = _labels(name)
    covered: list[tuple[int, int]] = []
    for text in {*(f.text for f in labels.figures), *labels.not_figures}:
        covered.extend((m.start(), m.end()) for m in re.finditer(re.escape(text), body))
    unlabelled = [
        body[max(0, m.start() - 30) : m.end() + 30]
        for m in _NUMBER_RE.finditer(body)
        if not any(start <= m.start() and m.end() <= end for start, end in covered)
    ]
    assert not unlabelled, f"numbers without a label in {name}: {unlabelled}"


@pytest.mark.parametrize("name", NAMES)
def test_dates_without_a_year_are_read_against_the_essay_date(name: str) -> None:
    meta = frontmatter.loads(_essay_path(name).read_text(encoding="utf-8")).metadata
    published = cast(date, meta["date"])
    labels = _labels(name)
    for figure in labels.figures:
        if figure.kind == "date" and not _YEAR_IN_TEXT_RE.search(figure.text):
            assert figure.unit is not None and figure.unit.startswith(f"{published.year}-"), figure.text
    for reference in labels.references:
        if reference.date is not None:
            assert reference.date < published
            assert any(f.kind == "date" and f.unit == reference.date.isoformat() for f in labels.figures)


@pytest.mark.parametrize("name", NAMES)
def test_gold_sections_are_found_in_the_intake_blocks(name: str) -> None:
    essay = load_essay(_essay_path(name))
    labels = _labels(name)
    starts = gold_section_starts(essay.blocks, labels.sections)
    assert starts == sorted(set(starts)) and starts[0] == 0
    for start, section in zip(starts, labels.sections, strict=True):
        if section.from_heading:
            assert essay.blocks[start].kind == "heading"
            assert essay.blocks[start].text == section.title
        else:
            assert essay.blocks[start].kind != "heading"


def test_the_set_covers_every_hard_case() -> None:
    labels = {name: _labels(name) for name in LABELLED_NAMES}
    bodies = {name: _essay_path(name).read_text(encoding="utf-8") for name in LABELLED_NAMES}
    figure_kinds = {f.kind for lab in labels.values() for f in lab.figures}
    assert figure_kinds == set(get_args(FigureKind))
    quote_kinds = {q.kind for lab in labels.values() for q in lab.quotes}
    assert quote_kinds == {"direct", "epigraph", "scare"}
    assert {"EUR", "GBP", "USD"} <= {f.unit for lab in labels.values() for f in lab.figures}
    assert any(f.value_high is not None for lab in labels.values() for f in lab.figures)
    headed = [n for n, b in bodies.items() if re.search(r"^## ", b, re.MULTILINE)]
    bold = [n for n, b in bodies.items() if re.search(r"^\*\*[^*]+\*\*$", b, re.MULTILINE)]
    assert len(headed) >= 2 and len(bold) >= 1
    assert any(re.search(r"Writing for [A-Z].*explains:", b) for b in bodies.values())
    # The borrowed passage: paragraphs opening with a mark and not closing it, then one that closes.
    assert any(re.search(r"\n\n“[^\n]*[^”\n]\n\n“[^\n]*[^”\n]\n\n“[^\n]*”\n", b) for b in bodies.values())
    references = [r for lab in labels.values() for r in lab.references]
    assert any(r.date for r in references) and any(r.url for r in references)
    assert any(r.date is None and r.url is None for r in references)


# ---------------------------------------------------------------------------
# The scorer


def _figure(
    text: str,
    kind: FigureKind = "count",
    value: float | None = None,
    *,
    unit: str | None = None,
    subject: str | None = None,
    context: str | None = None,
    value_high: float | None = None,
) -> Figure:
    return Figure(
        text=text,
        kind=kind,
        section=1,
        context=context or text,
        subject=subject,
        value=value,
        unit=unit,
        value_high=value_high,
    )


def test_match_texts_is_one_to_one_and_respects_word_boundaries() -> None:
    pairs = match_texts(["10%", "4", "$41 billion", "10%"], ["10%", "£140m", "more than $41 billion", "10%"])
    assert pairs == [(0, 0), (2, 2), (3, 3)]  # "4" is not inside "140"


def test_match_texts_prefers_the_quote_that_starts_where_the_prediction_starts() -> None:
    passage = "The players began with the hall. ‘We are not asking to be paid like bankers,’ he told me."
    gold = ["We are not asking to be paid", "The players began with the hall"]
    assert match_texts([passage], gold) == [(0, 1)]
    assert match_texts([passage, "We are not asking to be paid like bankers"], gold) == [(0, 1), (1, 0)]


def test_values_and_subjects() -> None:
    assert value_matches(41.6e9, 41.5e9) and not value_matches(41.6e9, 40e9)
    assert value_matches(None, None) and not value_matches(0.0, None) and value_matches(0.0, 0.0)
    assert subject_matches("the state's reserves", "reserve")
    assert subject_matches("spending on the preschool programme", "preschool programme return")
    assert not subject_matches("bridge backlog", "preschool programme return")
    assert not subject_matches(None, "reserve")


def test_score_figures_counts_spans_values_units_and_subjects() -> None:
    gold = [
        GoldFigure("more than $41 billion", "money", 41e9, "USD", "reserve"),
        GoldFigure("$1.27 for every dollar", "ratio", 1.27, "USD per USD", "preschool return"),
        GoldFigure("9 AM Eastern", "time", None, "America/New_York", "press conference"),
        GoldFigure("1978", "year", 1978, "year", "Stabilization Act"),
    ]
    pred = [
        _figure("$41 billion", "money", 41e9, unit="USD", subject="the reserve"),
        _figure("$1.27", "money", 1.27, unit="USD", subject="preschool"),
        _figure("9 AM", "time", None, unit="ET", subject="conference"),
        _figure("third", "count", 3),
    ]
    score = score_figures(pred, gold, ["third coffee"])
    assert (score.predicted, score.gold, score.matched) == (4, 4, 3)
    assert score.kind_ok == 2  # the ratio was read as money
    assert score.value_ok == 3
    assert (score.unit_scored, score.unit_ok) == (2, 1)  # the time's zone is not scored
    assert score.subject_ok == 3
    assert score.false_figures == 0  # "third" came from another sentence
    summary = score.summary()
    assert summary["precision"] == 0.75 and summary["recall"] == 0.75


def test_false_figures_need_the_trap_or_its_sentence() -> None:
    traps = ["Part 2", "third coffee", "Route 9"]
    pred = [
        _figure("2", value=2, context="Writing in Part 2 of her series, she explains:"),
        _figure("third coffee", value=3),
        _figure("9", value=9, context="The hearing starts at 9 sharp."),
    ]
    assert count_false_figures(pred, traps) == 2


def test_speakers_match_by_full_name_title_or_last_name() -> None:
    assert same_speaker("Attorney General Dana Whitfield", "Dana Whitfield")
    assert same_speaker("Whitfield", "Dana Whitfield")
    assert same_speaker("Justice Harriet Vallance", "Harriet Vallance")
    assert same_speaker(None, None)
    assert not same_speaker("the institute's director", "Samuel Achterberg")
    assert not same_speaker(None, "Samuel Achterberg")
    assert not same_speaker("Leonard Pike", "Amara Quist")


def test_score_quotes_separates_scare_quotes_and_counts_traps() -> None:
    gold = [
        GoldQuote("We saw what happened in 2009", "Lorna Fairweather", "direct"),
        GoldQuote("A right that depends on the generosity", "Harriet Vallance", "epigraph"),
        GoldQuote("emergency register", None, "scare"),
        GoldQuote("zombie words", None, "scare"),
    ]
    pred = [
        Quote("“We saw what happened in 2009, when we cut school budgets,”", "direct", 1, "Fairweather"),
        Quote("A right that depends on the generosity of the legislature", "direct", 1, "Vallance"),
        Quote("The Tax Cliff Is a Choice", "direct", 1, None),
        Quote("emergency register", "scare", 2),
        Quote("A notable sentence of the author's.", "notable", 2, "Owen Trask"),
    ]
    score = score_quotes(pred, gold, ["The Tax Cliff Is a Choice"])
    assert (score.predicted, score.gold, score.matched) == (3, 2, 2)
    assert score.speaker_ok == 2 and score.kind_ok == 1  # the epigraph was called direct
    assert (score.scare_predicted, score.scare_gold, score.scare_matched) == (1, 2, 1)
    assert score.false_quotes == 1


def test_pk_on_known_segmentations() -> None:
    reference = [0, 0, 0, 1, 1, 1]
    assert pk_errors(reference, reference, 2) == (0, 4)
    assert pk_errors(reference, [0] * 6, 2) == (2, 4)
    assert pk_errors(reference, [0, 1, 2, 3, 4, 5], 2) == (2, 4)
    with pytest.raises(ValueError):
        pk_errors(reference, [0, 0], 2)


def test_score_sections_uses_half_the_mean_gold_length() -> None:
    words = [10, 10, 10, 10]
    perfect = score_sections(words, [0, 2], [0, 2], gold_titles=[(2, "Part")], pred_titles=[(0, "x"), (2, "Part")])
    assert perfect.summary()["pk"] == 0.0 and perfect.heading_titles_ok == 1
    assert perfect.summary()["exact_boundaries"] == 1.0
    merged = score_sections(words, [0, 2], [0])
    # k = 40 words / 2 sections / 2 = 10; the 10 probes that straddle the boundary disagree.
    assert (merged.errors, merged.probes) == (10, 30)
    assert merged.count_diff == 1 and merged.boundaries_exact == 0


def test_gold_section_starts_take_the_heading_above_and_fail_loudly() -> None:
    blocks = [
        Block("paragraph", "“Every spring the legislature meets.”"),
        Block("heading", "How big is big?"),
        Block("paragraph", "The budget office's own report is out."),
        Block("paragraph", "The budget office's own report, again."),
    ]
    sections = [
        GoldSection("Intro", "Every spring the"),
        GoldSection("How big is big?", "The budget office’s own", True),
    ]
    assert gold_section_starts(blocks, sections) == [0, 1]
    with pytest.raises(LabelError):
        gold_section_starts(blocks, [GoldSection("Intro", "Every spring"), GoldSection("Gone", "Nowhere to be")])


def test_score_references_by_text_or_link_with_dates() -> None:
    gold = [
        GoldReference("see also my March 9th", date(2025, 3, 9), "The Tax Cliff Is a Choice"),
        GoldReference("my piece on the closure", None, None, "https://example-essays.blog/2025/02/hall.html"),
        GoldReference("As I wrote last week"),
    ]
    pred = [
        Reference("I have written before (see also my March 9th “The Tax Cliff” blog).", 1, date(2025, 3, 8)),
        Reference(
            "https://example-essays.blog/2025/02/hall.html",
            1,
            url="https://example-essays.blog/2025/02/hall.html/",
        ),
        Reference("Last week's opinion does not mention it.", 2),
    ]
    score = score_references(pred, gold, ["Last week's opinion"])
    assert (score.predicted, score.gold, score.matched) == (3, 3, 2)
    assert (score.dated, score.date_ok) == (1, 0)
    assert score.false_references == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"quotes": [{"text": "sell the map", "speaker": None, "kind": "direct"}]}, "at least 4 words"),
        ({"quotes": [{"text": "crisis", "speaker": "Someone", "kind": "scare"}]}, "no speaker"),
        (
            {"figures": [{"text": "$5", "kind": "money", "value": 5, "unit": "dollars", "subject": "x"}]},
            "unit",
        ),
        (
            {"figures": [{"text": "June 3rd", "kind": "date", "value": 3, "unit": "2025-06-03", "subject": "x"}]},
            "null",
        ),
        ({"figures": [{"text": "5", "kind": "size", "value": 5, "unit": None, "subject": "x"}]}, "kind"),
        ({"references": [{"text": "last week", "date": "June 3", "title": None}]}, "YYYY-MM-DD"),
        ({"sections": []}, "at least one section"),
        ({"extra": []}, "unknown keys"),
    ],
)
def test_parse_labels_rejects_malformed_labels(change: dict[str, object], reason: str) -> None:
    document: dict[str, object] = {
        "sections": [{"title": "Intro", "first_words": "Every spring"}],
        "quotes": [],
        "figures": [],
        "not_figures": [],
        "references": [],
    }
    parse_labels(document)  # the base document is valid
    with pytest.raises(LabelError, match=reason):
        parse_labels({**document, **change})


@pytest.mark.parametrize("name", NAMES)
def test_an_analysis_equal_to_the_labels_scores_perfectly(name: str) -> None:
    essay = load_essay(_essay_path(name))
    labels = _labels(name)
    starts = gold_section_starts(essay.blocks, labels.sections)
    ends = [*starts[1:], len(essay.blocks)]
    analysis = Analysis(
        sections=[
            Section(i + 1, g.title, essay.blocks[s:e], s, e, g.from_heading)
            for i, (g, s, e) in enumerate(zip(labels.sections, starts, ends, strict=True))
        ],
        quotes=[Quote(q.text, cast(QuoteKind, q.kind), 1, q.speaker) for q in labels.quotes],
        figures=[
            _figure(
                f.text,
                cast(FigureKind, f.kind),
                f.value,
                unit=f.unit,
                subject=f.subject,
                value_high=f.value_high,
            )
            for f in labels.figures
        ],
        references=[Reference(r.text, 1, r.date, r.title, r.url) for r in labels.references],
    )
    result = score_analysis(name, essay, labels, analysis).summary()
    for group, keys in {
        "figures": (
            "precision",
            "recall",
            "kind_accuracy",
            "value_accuracy",
            "unit_accuracy",
            "subject_accuracy",
        ),
        "quotes": ("precision", "recall", "speaker_accuracy", "kind_accuracy"),
        "references": ("precision", "recall"),
    }.items():
        for key in keys:
            assert result[group][key] == 1.0, (group, key)
    assert result["figures"]["false_figures"] == 0
    assert result["sections"]["pk"] == 0.0 and result["sections"]["mean_abs_count_diff"] == 0


# ---------------------------------------------------------------------------
# Issue 17: the quotation and figure shapes, and the labelled real posts


def test_the_issue_17_essays_cover_its_shapes() -> None:
    assert len(SHAPE_ESSAYS) >= 4
    assert {essay.stem for essay, _ in HELDOUT_PAIRS} >= HELDOUT_SHAPE_ESSAYS
    for names in (SHAPE_ESSAYS, HELDOUT_SHAPE_ESSAYS):
        bodies = " ".join(_essay_path(name).read_text(encoding="utf-8") for name in names)
        labels = [_labels(name) for name in names]
        assert re.search(r"^> ", bodies, re.MULTILINE), "a Markdown block quote"
        assert "‘" in bodies and re.search(r" '[a-z]", bodies), "curly and straight single marks"
        assert re.search(r"et al\. \(?\d{4}", bodies), "an academic citation"
        assert re.search(r"\b\d 1/2\b", bodies) and re.search(r"\b1/\d+\b", bodies), "mixed numbers and fractions"
        assert re.search(r"\bor so (?:million|thousand)\b", bodies), "a hedged scale"
        assert re.search(r"\b[Hh]alf the\b", bodies), "half the ..."
        quotes = [q for lab in labels for q in lab.quotes]
        figures = [f for lab in labels for f in lab.figures]
        assert sum(q.speaker is not None for q in quotes) >= 20
        assert sum(f.kind == "ratio" for f in figures) >= 4
        traps = [t for lab in labels for t in lab.not_figures]
        assert any("et al." in t or "(" in t for t in traps), "citations are traps"
    shapes = [_labels(name) for name in SHAPE_ESSAYS]
    assert sum(len(lab.quotes) for lab in shapes) >= 40
    assert sum(len(lab.figures) for lab in shapes) >= 60


POST_LABELS = load_post_labels()


def test_the_real_post_labels_are_split_in_halves() -> None:
    splits = Counter(labels.split for labels in POST_LABELS)
    assert splits["tune"] >= 6 and splits["report"] >= 6
    assert len({labels.post for labels in POST_LABELS}) == len(POST_LABELS)
    assert sum(len(labels.quotes) for labels in POST_LABELS if labels.split == "report") >= 30
    # A second report set, labelled before the bot was run on it, never tuned on.
    assert splits["report2"] >= 10
    assert sum(len(labels.quotes) for labels in POST_LABELS if labels.split == "report2") >= 30
    # A third, labelled before the third pass changed any rule.
    assert splits["report3"] >= 6
    assert sum(len(labels.quotes) for labels in POST_LABELS if labels.split == "report3") >= 30
    # A fifth, drawn and labelled before the fourth pass changed any rule, measured once before it.
    assert splits["report5"] >= 12
    assert sum(len(labels.quotes) for labels in POST_LABELS if labels.split == "report5") >= 30
    # A sixth, drawn and labelled after the fourth pass's last rule change, measured once.
    assert splits["report6"] >= 10
    assert sum(len(labels.quotes) for labels in POST_LABELS if labels.split == "report6") >= 30


@pytest.mark.parametrize("labels", POST_LABELS, ids=lambda labels: labels.post)
def test_every_real_post_label_occurs_in_its_post(labels: object) -> None:
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"{CORPUS_DIR} is not here (benchmark data beside the project)")
    from bench.quality import PostLabels, normalise

    assert isinstance(labels, PostLabels)
    body = normalise(load_post(labels.post, CORPUS_DIR).body_text)
    texts = [
        *(q.text for q in labels.quotes),
        *(f.text for f in labels.figures),
        *labels.not_quotes,
        *labels.not_figures,
        *labels.either_figures,
    ]
    missing = [text for text in texts if normalise(text) not in body]
    assert not missing, f"not in {labels.post}: {missing}"


def test_post_labels_are_checked_like_essay_labels() -> None:
    base = {"post": "2006-01-02-x.markdown", "split": "tune", "quotes": [], "figures": [], "not_figures": []}
    assert parse_post_labels(base).split == "tune"
    with pytest.raises(LabelError, match="split"):
        parse_post_labels({**base, "split": "train"})
    with pytest.raises(LabelError, match="unknown keys"):
        parse_post_labels({**base, "sections": []})
    with pytest.raises(LabelError, match="no speaker"):
        parse_post_labels({**base, "quotes": [{"text": "crisis", "speaker": "Jo", "kind": "scare"}]})


def test_figures_on_either_texts_count_neither_way() -> None:
    pred = [
        _figure("a week or two", "duration", 1, context="I wrote it over a week or two for a friend."),
        _figure("two", value=2, context="I wrote it over a week or two for a friend."),
        _figure("1.5 years", "duration", 1.5, context="I have coded Rails for 1.5 years."),
    ]
    kept = without_either(pred, ["a week or two"])
    assert [f.text for f in kept] == ["1.5 years"]


def test_every_quotation_counts_for_the_speaker_goal_and_repeats_count_once() -> None:
    gold = [
        GoldQuote("We saw what happened in 2009", "Lorna Fairweather", "direct"),
        GoldQuote("hard work", None, "scare"),
        GoldQuote("hard work", None, "scare"),  # the same scare phrase used twice is one quotation
        GoldQuote("The fund is a promise we keep", "Tomasz Everly", "direct"),
        GoldQuote("Nobody ever lost an election by saving", None, "direct"),
    ]
    pred = [
        Quote("We saw what happened in 2009, when we cut", "direct", 1, "Fairweather"),
        Quote("hard work", "scare", 1),
        Quote("The fund is a promise we keep", "direct", 1, "Lorna Fairweather"),
        Quote("Nobody ever lost an election by saving money", "direct", 1, None),
    ]
    score = score_quotes(pred, gold)
    assert (score.every_gold, score.every_right) == (4, 3)  # Everly's quote has the wrong speaker
    assert score.summary()["every_quote_speaker_right"] == 0.75


def test_full_subjects_need_every_content_word() -> None:
    assert subject_matches("Democratic attorneys", "Democratic attorneys general")
    assert not subject_matches("Democratic attorneys", "Democratic attorneys general", share=1.0)
    assert subject_matches("fourteen Democratic attorneys general", "Democratic attorneys general", share=1.0)


@pytest.mark.parametrize(
    ("pred", "gold", "same"),
    [
        ("Marclay", "Christian Marclay", True),
        ("RTG", "Right Thinking Girl", True),
        ("Right Thinking Girl", "RTG", True),
        ("RT", "Right Thinking Girl", False),
        ("Girl", "Right Thinking Girl", True),
        ("Suskind", "Mark McKinnon", False),
    ],
)
def test_speakers_match_by_name_last_name_or_initials(pred: str, gold: str, same: bool) -> None:
    from bench.quality import same_speaker

    assert same_speaker(pred, gold) is same
