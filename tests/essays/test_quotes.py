"""Quotations, speakers, epigraphs, borrowed passages, scare quotes and notables.

All text here is original, written for these tests.
"""

from __future__ import annotations

import pytest

from bot.essays.model import Block, Quote, Section
from bot.essays.quotes import find_quotes


def P(text: str) -> Block:
    return Block("paragraph", text)


def Q(text: str) -> Block:
    return Block("quote", text)


def H(text: str) -> Block:
    return Block("heading", text)


def I(text: str) -> Block:  # noqa: E743 - a list item, named like its siblings
    return Block("item", text)


def one_section(*blocks: Block) -> list[Section]:
    return [Section(1, "Section", tuple(blocks), 0, len(blocks))]


def quotes(*blocks: Block, author: str | None = None) -> list[Quote]:
    return find_quotes(one_section(*blocks), author=author, notable=0)


def triples(found: list[Quote]) -> list[tuple[str, str | None, str]]:
    return [(q.kind, q.speaker, q.text) for q in found]


# --- one paragraph, one attribution pattern each ---------------------------------------------

SINGLE_PARAGRAPH_CASES: list[tuple[str, str, list[tuple[str, str | None, str]]]] = [
    (
        "quote-comma-name-said",
        '"The budget is a fiction," Mayor Jane Doe said.',
        [("direct", "Jane Doe", "The budget is a fiction")],
    ),
    (
        "said-name-with-title",
        '"We will appeal," said Attorney General Maria Santos, adding nothing.',
        [("direct", "Maria Santos", "We will appeal")],
    ),
    (
        "name-said-comma",
        'Governor Tom Reyes said, "Nobody wins a shutdown."',
        [("direct", "Tom Reyes", "Nobody wins a shutdown.")],
    ),
    (
        "name-said-colon",
        'Sen. Alan Brooks said: "This bill is dead."',
        [("direct", "Alan Brooks", "This bill is dead.")],
    ),
    (
        "told-reporters-that",
        'Doe told reporters that "the county is broke."',
        [("direct", "Doe", "the county is broke.")],
    ),
    (
        "told-object-colon",
        'Lin told the council: "We cannot keep borrowing."',
        [("direct", "Lin", "We cannot keep borrowing.")],
    ),
    (
        "according-to-after",
        '"The fund is empty," according to Comptroller Ruth Ames.',
        [("direct", "Ruth Ames", "The fund is empty")],
    ),
    (
        "according-to-before-partial",
        'According to Mayor Doe, the plan is "dead on arrival."',
        [("direct", "Doe", "dead on arrival.")],
    ),
    (
        "appositive-after-name-curly",
        "“The numbers do not add up,” Priya Natarajan, the chief economist at Brightline Partners, said on Tuesday.",
        [("direct", "Priya Natarajan", "The numbers do not add up")],
    ),
    (
        "in-a-statement",
        'In a statement, Attorney General Jane Doe said "the settlement speaks for itself."',
        [("direct", "Jane Doe", "the settlement speaks for itself.")],
    ),
    (
        "organisation-speaker",
        'The Department of Justice said, "We are reviewing the decision."',
        [("direct", "the Department of Justice", "We are reviewing the decision.")],
    ),
    (
        "office-speaker-is-unnamed",
        '"We are reviewing the decision," the mayor’s office said.',
        [("direct", None, "We are reviewing the decision")],
    ),
    (
        "possessive-spokesperson-is-unnamed",
        '"No comment," Smith’s spokesperson said.',
        [("direct", None, "No comment")],
    ),
    (
        "court-wrote-that",
        'The court wrote that "the statute admits of no exception."',
        [("direct", None, "the statute admits of no exception.")],
    ),
    (
        "ceo-role-before-name",
        'Brightline CEO Dana Whitfield insisted that "the merger creates jobs."',
        [("direct", "Dana Whitfield", "the merger creates jobs.")],
    ),
    (
        "tweeted-with-party-parenthetical",
        '"This is theft," tweeted Rep. Carla Menendez (D-Fla.), who chairs the panel.',
        [("direct", "Carla Menendez", "This is theft")],
    ),
    (
        "chief-justice-put-it",
        'As Chief Justice Roberts put it, "The way to stop a bad habit is to stop it."',
        [("direct", "Roberts", "The way to stop a bad habit is to stop it.")],
    ),
    (
        "name-suffix-is-not-a-title",
        'Dr. Martin Luther King Jr. wrote, "Silence can be a kind of consent."',
        [("direct", "Martin Luther King Jr.", "Silence can be a kind of consent.")],
    ),
    (
        "secretary-of-state",
        'Then-Secretary of State Jane Doe said: "Diplomacy is slow."',
        [("direct", "Jane Doe", "Diplomacy is slow.")],
    ),
    (
        "indefinite-spokesperson-for-org",
        '"It is over," a spokesperson for the Department of Justice said.',
        [("direct", None, "It is over")],
    ),
    (
        "group-speaker",
        '"The bridge is safe," county officials said.',
        [("direct", None, "The bridge is safe")],
    ),
    (
        "inverted-writes-colon",
        'Writes Okafor: "The county is broke and everyone knows it."',
        [("direct", "Okafor", "The county is broke and everyone knows it.")],
    ),
    (
        "interview-colon",
        'Amina Okafor: "I never said that."',
        [("direct", "Amina Okafor", "I never said that.")],
    ),
    (
        "long-relative-clause-then-said",
        "Doe, who has served on the board since 2004 and chaired it twice, said in an interview last week "
        'that "nobody reads these reports."',
        [("direct", "Doe", "nobody reads these reports.")],
    ),
    (
        "split-quote-joined",
        'Judge Amy Lin was blunt. "The law," she said, "is clear."',
        [("direct", "Amy Lin", "The law is clear.")],
    ),
    (
        "split-quote-with-object",
        '"The fund exists on paper," Sam Ito told the board, "and mostly on paper."',
        [("direct", "Sam Ito", "The fund exists on paper and mostly on paper.")],
    ),
    (
        "second-sentence-same-speaker",
        '"I was wrong," Doe admitted. "I should have read the report."',
        [("direct", "Doe", "I was wrong"), ("direct", "Doe", "I should have read the report.")],
    ),
    (
        "coordinated-verb-shares-subject",
        'Transit director Omar Haddad countered that the cuts were "modest by any standard" and warned, '
        '"If we do nothing, the whole network fails."',
        [
            ("direct", "Omar Haddad", "modest by any standard"),
            ("direct", "Omar Haddad", "If we do nothing, the whole network fails."),
        ],
    ),
    (
        "first-person-is-the-author",
        'I wrote last year that "the rainy-day fund is a mirage."',
        [("direct", "Pat Author", "the rainy-day fund is a mirage.")],
    ),
    (
        "pronoun-without-antecedent-is-none",
        '"Enough," she said.',
        [("direct", None, "Enough")],
    ),
    (
        "lowercase-role-before-name-after-quote",
        '"This was the hardest decision in our history," director Celia Marsh said in a prepared statement.',
        [("direct", "Celia Marsh", "This was the hardest decision in our history")],
    ),
    (
        "inverted-said-role-name-then-continuation",
        '"They are selling the collection," said painter Theo Lindqvist. "It is backwards."',
        [
            ("direct", "Theo Lindqvist", "They are selling the collection"),
            ("direct", "Theo Lindqvist", "It is backwards."),
        ],
    ),
    (
        "name-in-appositive-after-common-noun",
        'A spokesperson, Lena Cho, said only that the governor "is monitoring the situation."',
        [("direct", "Lena Cho", "is monitoring the situation.")],
    ),
    (
        "colon-lead-in-does-not-attribute-a-phrase",
        "Riders have their own name for the new boats: “the floating waiting rooms.”",
        [("scare", None, "the floating waiting rooms")],
    ),
    (
        "question-with-asked",
        '"How did nobody catch this?" asked Rep. Tomás Ibarra.',
        [("direct", "Tomás Ibarra", "How did nobody catch this?")],
    ),
    (
        "scare-quote-curly",
        "We hear a lot about “checks and balances” these days.",
        [("scare", None, "checks and balances")],
    ),
    (
        "scare-called-with-attribution-nearby",
        'The so-called "reform" would gut the agency, Doe said.',
        [("scare", None, "reform")],
    ),
    (
        "scare-the-phrase",
        'The phrase "fiscal responsibility" has lost its meaning.',
        [("scare", None, "fiscal responsibility")],
    ),
    (
        "scare-what-the-court-called",
        "What the court called “a pattern of neglect” was, in plain English, a scandal.",
        [("scare", None, "a pattern of neglect")],
    ),
    (
        "scare-trailing-period-dropped",
        "The board calls this “prudence.”",
        [("scare", None, "prudence")],
    ),
    ("title-before-blog-is-not-a-quote", 'My March 9th "Budget Games" blog covered this.', []),
    ("title-after-titled-is-not-a-quote", 'Her essay titled "Why the Suburbs Will Not Save Us" was shared.', []),
    (
        "apostrophes-inch-marks-and-decades",
        'He bought a 12" pipe and a 6" valve for the students’ garden in the ’90s, and didn’t regret it.',
        [],
    ),
    (
        "nested-single-inside-double",
        "“It’s not ‘free money,’ it’s a loan,” said Treasurer Sam Ito.",
        [("direct", "Sam Ito", "It’s not ‘free money,’ it’s a loan"), ("scare", None, "free money")],
    ),
    (
        "british-single-marks-with-possessive",
        "‘The students’ union is broke,’ the treasurer said.",
        [("direct", None, "The students’ union is broke")],
    ),
    (
        "stray-mark-is-bounded-by-its-sentence",
        'Doe said "we will appeal. The rest of the paragraph runs on without any closing mark at all.',
        [("direct", "Doe", "we will appeal.")],
    ),
    (
        "unattributed-full-sentence-is-direct-without-speaker",
        'The auditors’ letter is dry, but one line stands out: "Management was unable to provide documentation."',
        [("direct", None, "Management was unable to provide documentation.")],
    ),
]


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [pytest.param(text, expected, id=name) for name, text, expected in SINGLE_PARAGRAPH_CASES],
)
def test_single_paragraph(paragraph: str, expected: list[tuple[str, str | None, str]]) -> None:
    assert triples(quotes(P(paragraph), author="Pat Author")) == expected


# --- context across paragraphs ----------------------------------------------------------------


def test_pronoun_resolves_to_the_nearest_named_person_not_the_last_speaker() -> None:
    found = quotes(P('"The plan is sound," Doe said.'), P('Judge Amy Lin disagreed. "Nonsense," she said.'))
    assert triples(found) == [("direct", "Doe", "The plan is sound"), ("direct", "Amy Lin", "Nonsense")]


def test_pronoun_resolves_from_the_previous_paragraph() -> None:
    found = quotes(P("Senator Maria Vega has a different view."), P('"This is a trap," she warned.'))
    assert triples(found) == [("direct", "Maria Vega", "This is a trap")]


def test_pronoun_resolves_to_a_bare_surname_known_from_earlier() -> None:
    found = quotes(
        P('Trustee Alan Voss voted for the bond. "It was a mistake," Imani Brooks said.'),
        P("Voss, for his part, sounded resigned. “It’s going to pass,” he said."),
    )
    assert [q.speaker for q in found] == ["Imani Brooks", "Voss"]


def test_pronoun_never_becomes_the_speaker() -> None:
    found = quotes(P('"Ask not what the county can do for you," he said, half joking. Nobody laughed.'))
    assert [q.speaker for q in found] == [None]


def test_journalistic_quote_continues_into_the_next_paragraph() -> None:
    found = quotes(
        P('"We tried everything," said Mayor Jane Doe. "We cut the parks budget and froze hiring.'),
        P('"None of it was enough."'),
        P("The council was unmoved."),
    )
    assert triples(found) == [
        ("direct", "Jane Doe", "We tried everything"),
        ("direct", "Jane Doe", "We cut the parks budget and froze hiring.\n\nNone of it was enough."),
    ]


def test_standalone_quote_paragraph_after_an_attributed_one_keeps_the_speaker() -> None:
    found = quotes(
        P('"We are not selling the library," Mayor Jane Doe said.'),
        P('"Not this year, and not next year."'),
    )
    assert [q.speaker for q in found] == ["Jane Doe", "Jane Doe"]


def test_colon_intro_attributes_the_following_quote_paragraphs() -> None:
    found = quotes(
        P("Okafor makes the point better than I can:"),
        P('"Budgets are promises. Most promises are broken quietly."'),
    )
    assert triples(found) == [("direct", "Okafor", "Budgets are promises. Most promises are broken quietly.")]


def test_headings_are_ignored() -> None:
    found = quotes(H('"Fiscal discipline," revisited'), P('"We are fine," Ruiz said.'))
    assert triples(found) == [("direct", "Ruiz", "We are fine")]


def test_list_items_are_scanned() -> None:
    found = quotes(I('Ruiz: "The fund is full."'), I('Ito: "The fund is a rumour."'))
    assert triples(found) == [("direct", "Ruiz", "The fund is full."), ("direct", "Ito", "The fund is a rumour.")]


def test_stray_mark_at_paragraph_start_does_not_swallow_the_essay() -> None:
    long_tail = " ".join(["The board met again and nothing happened."] * 30)
    found = quotes(P('"We are fine, Ruiz said at the start. ' + long_tail), P("The next paragraph is mine."))
    assert len(found) == 1
    assert found[0].text == "We are fine, Ruiz said at the start."


def test_unclosed_paragraph_not_followed_by_a_mark_is_one_paragraph_quote() -> None:
    found = quotes(P('"The county will survive this, as it survived the last one'), P("I am less sure."))
    assert triples(found) == [("direct", None, "The county will survive this, as it survived the last one")]


# --- epigraphs ---------------------------------------------------------------------------------


def test_epigraph_with_dash_attribution_line() -> None:
    found = quotes(
        P("“The arc of a budget is long, and it bends toward whoever shows up.”"),
        P("— Marguerite Okonjo, 1987, on the occasion of the county’s first deficit"),
        P("This week the county proved her right."),
    )
    assert triples(found) == [
        ("epigraph", "Marguerite Okonjo", "The arc of a budget is long, and it bends toward whoever shows up.")
    ]


def test_epigraph_blockquote_with_name_and_year_line() -> None:
    found = quotes(
        Q("Power concedes nothing without a spreadsheet."),
        P("Harold Finch, 1963"),
        P("Budgets are moral documents."),
    )
    assert triples(found) == [("epigraph", "Harold Finch", "Power concedes nothing without a spreadsheet.")]


def test_epigraph_with_inline_attribution_and_title_trimmed() -> None:
    found = quotes(Q('"Every tax is a story about who matters." -- Judge Lena Ortiz'), P("And so it goes."))
    assert triples(found) == [("epigraph", "Lena Ortiz", "Every tax is a story about who matters.")]


def test_epigraph_after_a_repeated_title_heading() -> None:
    found = quotes(H("The Ghost Fund"), P("“Count the money twice.”"), P("-- Anonymous clerk"), P("Mine."))
    assert triples(found) == [("epigraph", "Anonymous clerk", "Count the money twice.")]


def test_opening_paragraph_followed_by_a_normal_one_is_no_epigraph() -> None:
    found = quotes(
        P("The county published its budget on Friday."),
        P("Jane Doe, Mayor of Linden, said nothing about it."),
    )
    assert [q.kind for q in found] == []


# --- long borrowed passages --------------------------------------------------------------------


def test_multi_paragraph_passage_with_nested_quotes_of_their_own() -> None:
    found = quotes(
        P("The best account is not mine. Writing for The Ledger, Amina Okafor explains:"),
        P(
            "“The county did not run out of money overnight. When I asked the deputy treasurer, Paula Kim, "
            "about it in 2019, she told me, ‘We are borrowing from next year to pay for last year.’"
        ),
        P("“Nobody wanted to hear it. Commissioner Dale Ruiz said that ‘the numbers will sort themselves out.’"),
        P("“They did not sort themselves out.”"),
        P("Okafor is right."),
        author="Pat Author",
    )
    assert [(q.kind, q.speaker) for q in found] == [
        ("direct", "Amina Okafor"),
        ("direct", "Paula Kim"),
        ("direct", "Dale Ruiz"),
    ]
    passage = found[0].text
    assert passage.startswith("The county did not run out of money overnight.")
    assert passage.count("\n\n") == 2
    assert passage.endswith("They did not sort themselves out.")
    assert "‘We are borrowing" in passage  # nested marks are kept inside the passage
    assert found[1].text == "We are borrowing from next year to pay for last year."
    assert found[2].text == "the numbers will sort themselves out."


def test_blockquote_passage_speaker_from_intro_and_nested_double_quotes() -> None:
    found = quotes(
        P("Writing for The Ledger, Amina Okafor explains:"),
        Q('The county did not run out of money overnight. Its treasurer, Sam Ito, warned that "we are broke."'),
        Q('Nobody listened. "The numbers will sort themselves out," Commissioner Dale Ruiz said.'),
        P("Okafor is right."),
    )
    assert [(q.kind, q.speaker) for q in found] == [
        ("direct", "Amina Okafor"),
        ("direct", "Sam Ito"),
        ("direct", "Dale Ruiz"),
    ]
    assert found[0].text.count("\n\n") == 1


def test_blockquote_with_attribution_line_after_it() -> None:
    found = quotes(P("Consider this."), Q("A fund is a promise with a balance."), P("— Ruth Ames"), P("Indeed."))
    assert triples(found) == [("direct", "Ruth Ames", "A fund is a promise with a balance.")]


def test_passage_attribution_after_its_closing_mark() -> None:
    found = quotes(
        P("“First, the board stopped paying."),
        P("“Then it stopped counting,” Okafor concludes."),
    )
    assert triples(found) == [("direct", "Okafor", "First, the board stopped paying.\n\nThen it stopped counting")]


# --- notables ----------------------------------------------------------------------------------

NOTABLE_ESSAY = (
    P(
        "Every spring the county tells the same story about its finances, and every spring the story is wrong. "
        "The fund holds $41 million on paper."
    ),
    P(
        "A fund that exists only on paper is not a fund, it is a promise that nobody on the county board "
        "intends to keep."
    ),
    P("It rained."),
    P('"We are fine," Ruiz said, which is what he says every spring about the fund.'),
    P("The real question is whether the county board will fix the fund before the next downgrade arrives."),
)


def test_notables_are_the_authors_salient_sentences() -> None:
    found = find_quotes(one_section(*NOTABLE_ESSAY), author="Pat Author", notable=2)
    notables = [q for q in found if q.kind == "notable"]
    assert len(notables) == 2
    assert all(q.speaker == "Pat Author" and q.score > 0 for q in notables)
    texts = {q.text for q in notables}
    assert "It rained." not in texts
    assert not any('"' in text for text in texts)  # never a sentence holding someone else's words
    assert any(text.startswith("A fund that exists only on paper") for text in texts)


# Sentences a reader asking /quote should never get: pointers to other posts, and page chrome. Each
# would score well on its words alone (the essay's keywords, a claim word, a fitting length).
NOT_NOTABLE_SENTENCES = [
    ("dated-pointer", "See also my August 16th County Fund Follies blog, where the county board fund problem began."),
    ("as-i-wrote", "As I wrote last week, the county board must fix the fund before the next downgrade arrives."),
    ("previous-post", "In a previous post I showed that the county fund was never a real fund at all, only paper."),
    ("my-post-on", "My post on the county fund explains why the board never intends to keep its paper promise."),
    ("a-web-address", "The county board must publish its fund ledger at fundwatch.org before the next downgrade."),
    ("posted-by", "Posted by Pat Author at 9:14 PM about the county fund, the county board and the downgrade."),
    ("share-this", "Share this post about the county fund and the county board with everyone who must know."),
    ("no-comments", "No comments yet on the county fund, the county board or the downgrade that must come."),
]


@pytest.mark.parametrize("sentence", [pytest.param(text, id=name) for name, text in NOT_NOTABLE_SENTENCES])
def test_references_and_page_chrome_are_never_notable(sentence: str) -> None:
    found = find_quotes(one_section(*NOTABLE_ESSAY, P(sentence)), author="Pat Author", notable=10)
    notables = [q.text for q in found if q.kind == "notable"]
    assert notables and sentence not in notables


def test_notables_are_credited_to_the_author_never_to_the_blog() -> None:
    named = find_quotes(one_section(*NOTABLE_ESSAY), author="Pat Author", site_name="County Ledger", notable=2)
    assert {q.speaker for q in named if q.kind == "notable"} == {"Pat Author"}
    # Some feeds give the blog's title as the author: that names nobody.
    titled = find_quotes(one_section(*NOTABLE_ESSAY), author="County Ledger", site_name="County Ledger", notable=2)
    assert {q.speaker for q in titled if q.kind == "notable"} == {None}


def test_notables_respect_the_limit_and_an_unknown_author() -> None:
    none = find_quotes(one_section(*NOTABLE_ESSAY), notable=0)
    assert [q for q in none if q.kind == "notable"] == []
    three = [q for q in find_quotes(one_section(*NOTABLE_ESSAY), notable=3) if q.kind == "notable"]
    assert len(three) == 3
    assert all(q.speaker is None for q in three)


# --- a full mini essay ---------------------------------------------------------------------------


def mini_essay() -> list[Section]:
    first = (
        P("“A budget is a confession written in numbers.”"),
        P("— Harriet Vance, 1974, on the occasion of the first county audit"),
        P(
            "Every spring the county tells the same story about its finances, and every spring the story is "
            "wrong. The rainy-day fund, we are told, holds $41 million. The board calls this “prudence.”"
        ),
        P(
            '"We are in the strongest position in a decade," Commissioner Dale Ruiz said at the March meeting. '
            'Treasurer Sam Ito was less sure. "The fund exists on paper," he told the board, "and mostly on paper."'
        ),
    )
    second = (
        H("What the Ledger found"),
        P("The best account of how we got here is not mine. Writing for The Ledger, Amina Okafor explains:"),
        P(
            "“The county did not run out of money overnight. It ran out slowly, one deferred payment at a time. "
            "When I asked the deputy treasurer, Paula Kim, about the pension contributions in 2019, she told me, "
            "‘We are borrowing from next year to pay for last year.’"
        ),
        P(
            "“Nobody on the board wanted to hear it. Commissioner Ruiz said at the time that ‘the numbers will "
            "sort themselves out,’ and the board moved on to a debate about parking meters."
        ),
        P(
            "“They did not sort themselves out. By 2023 the gap between what the county promised and what it had "
            "set aside was larger than the entire parks budget.”"
        ),
        P(
            "Okafor is too polite to say it, but the lesson is simple: a fund that exists only on paper is not a "
            "fund, it is a promise that nobody intends to keep."
        ),
    )
    third = (
        P(
            "The board’s defenders talk about “fiscal discipline” as if the phrase were a policy. It is not. "
            "Discipline would mean paying the pension bill before the ribbon cuttings, every year."
        ),
        P(
            "The real question is whether anyone on the board will say so before the next downgrade, because "
            "the bond markets have already noticed and they are far less patient than voters."
        ),
        P("I do not expect them to. But the county deserves a board that reads its own audits."),
    )
    return [
        Section(1, "Intro", first, 0, 4),
        Section(2, "What the Ledger found", second, 4, 10, from_heading=True),
        Section(3, "Patience", third, 10, 13),
    ]


def test_mini_essay_end_to_end() -> None:
    found = find_quotes(mini_essay(), author="Pat Author", notable=3)
    non_notable = [(q.section, q.kind, q.speaker) for q in found if q.kind != "notable"]
    assert non_notable == [
        (1, "epigraph", "Harriet Vance"),
        (1, "scare", None),
        (1, "direct", "Dale Ruiz"),
        (1, "direct", "Sam Ito"),
        (2, "direct", "Amina Okafor"),
        (2, "direct", "Paula Kim"),
        (2, "direct", "Ruiz"),
        (3, "scare", None),
    ]
    by_speaker = {q.speaker: q.text for q in found if q.kind == "direct"}
    assert by_speaker["Sam Ito"] == "The fund exists on paper and mostly on paper."
    assert by_speaker["Amina Okafor"].count("\n\n") == 2
    assert "Paula Kim" not in by_speaker["Amina Okafor"].split("\n\n")[-1]
    scares = [q.text for q in found if q.kind == "scare"]
    assert scares == ["prudence", "fiscal discipline"]
    notables = [q for q in found if q.kind == "notable"]
    assert len(notables) == 3
    assert all(q.speaker == "Pat Author" and q.score > 0 for q in notables)
    # Notables never come from the borrowed passage or the epigraph.
    assert not any("deferred payment" in q.text or "confession" in q.text for q in notables)


def test_results_are_in_reading_order_and_deduplicated() -> None:
    found = quotes(
        P('"Pay the bill," Ito said.'),
        P('"Pay the bill," Ito said.'),
        P('Ruiz said, "Later."'),
    )
    assert triples(found) == [("direct", "Ito", "Pay the bill"), ("direct", "Ruiz", "Later.")]


def test_empty_input() -> None:
    assert find_quotes([]) == []
    assert find_quotes(one_section()) == []


# --- realistic prose: speaker precision and recall ------------------------------------------------

# Paragraphs read in order as one essay; each expected quote is (fragment of its text, speaker),
# speaker None for scare quotes / quotes with no recoverable speaker.
# Unnamed sources (an office, a spokesperson, a group, a commenter) have no speaker, as in the
# labelling conventions of tests/fixtures/labelled/README.md.
REALISTIC: list[tuple[str, list[tuple[str, str | None]]]] = [
    (
        'The hearing ran long. "We are not going to balance this budget on the backs of bus riders," '
        "Councilmember Rosa Delgado said, to applause from the gallery.",
        [("backs of bus riders", "Rosa Delgado")],
    ),
    (
        "“Nobody is proposing to close a single line,” said Haddad, who has run the agency since 2019.",
        [("close a single line", "Haddad")],
    ),
    (
        'The union was unimpressed. "They said the same thing in 2012," said Bernice Walker, president of the '
        'local, "and then they closed three lines."',
        [("closed three lines", "Bernice Walker")],
    ),
    (
        'In a letter to the board, the state comptroller’s office wrote that the county had "materially '
        'misstated" its reserves.',
        [("materially misstated", None)],
    ),
    (
        '"We take these findings seriously," a county spokesperson said in an email.',
        [("findings", None)],
    ),
    (
        "Professor Lydia Chen of Marlow University, who studies municipal debt, put it more bluntly: "
        '"This is what a slow default looks like."',
        [("slow default", "Lydia Chen")],
    ),
    ('Chen added that the county is "not unique, just early."', [("not unique, just early", "Chen")]),
    ('"It is a policy choice dressed up as arithmetic," she said.', [("policy choice", "Chen")]),
    (
        'Asked whether the board would reconsider, Chair Victor Lum said only, "We will review everything."',
        [("review everything", "Victor Lum")],
    ),
    (
        "The editorial board of the Harbor Times called the plan “a shell game,” which is about right.",
        [("a shell game", None)],
    ),
    (
        "“There is no free lunch,” Senator Ellen Park told a town hall in Ridgefield on Saturday. “Somebody pays, "
        "and usually it is the people who were not in the room.”",
        [("no free lunch", "Ellen Park"), ("Somebody pays", "Ellen Park")],
    ),
    ('Park’s opponent, former mayor Gus Albright, accused her of "fearmongering."', [("fearmongering", None)]),
    (
        'Albright told the Ridgefield Courier that "the numbers are fine if you read them correctly."',
        [("numbers are fine", "Albright")],
    ),
    (
        '"Read them correctly," Park replied, "means read them with your eyes closed."',
        [("Read them correctly means", "Park")],
    ),
    (
        'Justice Miriam Okoro, writing for a unanimous court, said the county "may not spend money it has '
        'pledged elsewhere."',
        [("may not spend money", "Miriam Okoro")],
    ),
    (
        "“The pledge is a contract,” Okoro wrote. “Contracts bind the county as surely as they bind anyone.”",
        [("pledge is a contract", "Okoro"), ("Contracts bind", "Okoro")],
    ),
    (
        'The county’s lawyers had argued that the pledge was "aspirational," a claim the court dismissed.',
        [("aspirational", None)],
    ),
    (
        'Bell’s firm downgraded the county in March. "It was not a close call," he said.',
        [("not a close call", "Bell")],
    ),
    (
        'I asked the county executive, Dana Moreau, whether she had read the audit. "Parts of it," she said.',
        [("Parts of it", "Dana Moreau")],
    ),
    ("Some residents have started calling the reserve “the ghost fund.”", [("the ghost fund", None)]),
    (
        'A commenter on my last post wrote: "You keep saying the fund is empty, but the county says otherwise."',
        [("fund is empty", None)],
    ),
    (
        'The governor’s office declined to comment. A spokesperson, Lena Cho, said only that the governor "is '
        'monitoring the situation."',
        [("monitoring the situation", "Lena Cho")],
    ),
    (
        'As the treasurer likes to say, "A balanced budget is a moral document."',
        [("balanced budget", None)],
    ),
    (
        'Parents were not persuaded. "You found money for a new stadium," shouted one father from the back row.',
        [("new stadium", None)],
    ),
    (
        "The district’s own consultant, Hollis & Pratt, concluded that closing two schools would save "
        '"roughly $4 million a year, before transition costs."',
        [("roughly $4 million", "Hollis & Pratt")],
    ),
    (
        "Critics of the plan, including the local chapter of the teachers’ union, argue that the district never "
        'seriously considered "a single alternative."',
        [("a single alternative", None)],
    ),
    (
        'Amaro was blunter in a post on social media: "If you close Linden, you are closing the only thing on '
        'that street that works."',
        [("closing the only thing", "Amaro")],
    ),
    ("The phrase “right-sizing” appears eleven times in the board’s presentation.", [("right-sizing", None)]),
    ('"We will be there," promised Brooks.', [("We will be there", "Brooks")]),
]


def test_realistic_prose_speaker_precision_and_recall() -> None:
    blocks = tuple(P(text) for text, _ in REALISTIC)
    found = [q for q in find_quotes(one_section(*blocks), notable=0) if q.kind in ("direct", "scare")]
    true_positive = false_positive = false_negative = 0
    for _, expected in REALISTIC:
        for fragment, speaker in expected:
            match = next((q for q in found if fragment in q.text), None)
            got = match.speaker if match else None
            if speaker is None:
                false_positive += got is not None
            elif got == speaker:
                true_positive += 1
            else:
                false_negative += 1
                false_positive += got is not None
    precision = true_positive / (true_positive + false_positive)
    recall = true_positive / (true_positive + false_negative)
    assert precision >= 0.90
    assert recall >= 0.95


# --- rules from the labelling conventions (tests/fixtures/labelled/README.md) --------------------


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        # a person "called it" a phrase of four words or more: that person's words
        (
            'Councillor Maud Ferris called it "a tax on people who rent," and voted no.',
            [("direct", "Maud Ferris", "a tax on people who rent")],
        ),
        # a short coinage after "called it" stays a scare quote
        ('Ferris called it "rent creep" in the debate.', [("scare", None, "rent creep")]),
        # one word in a noun's place after a verb of speech is a scare quote
        ('The chief warned of a "meltdown" at the depot.', [("scare", None, "meltdown")]),
        # the name after a role is the speaker
        (
            '"We will appeal the ruling," the union\'s general counsel, Oskar Brandt, said.',
            [("direct", "Oskar Brandt", "We will appeal the ruling")],
        ),
        # an unnamed aide: direct, no speaker
        (
            '"Nobody wants to own this vote," an aide to the speaker told me.',
            [("direct", None, "Nobody wants to own this vote")],
        ),
        # a new sentence after the closing mark attributes nothing to its subject
        (
            'Ferris called the deal "a gift to the landlords of this city." The council says otherwise.',
            [("direct", "Ferris", "a gift to the landlords of this city.")],
        ),
        # a title of a work in quote marks is no quotation
        ('Her pamphlet, "The Rent Is Too High", sold well.', []),
    ],
)
def test_convention_rules(paragraph: str, expected: list[tuple[str, str | None, str]]) -> None:
    assert triples(quotes(P(paragraph), author="Pat Author")) == expected


def test_the_role_is_named_from_earlier_in_the_essay() -> None:
    found = quotes(
        P("The port director, Ines Calloway, has run the harbour for a decade."),
        P('Last week the director called the dredging plan "a decade too late and a million short."'),
    )
    assert triples(found) == [("direct", "Ines Calloway", "a decade too late and a million short.")]


def test_joined_by_credits_the_writer_not_the_colleague() -> None:
    found = quotes(P('Judge Rhea Marten, joined by Judge Colm Price, wrote that the law "says nothing of the kind."'))
    assert triples(found) == [("direct", "Rhea Marten", "says nothing of the kind.")]


def test_blockquote_intro_pronoun_resolves_through_the_paragraph() -> None:
    found = quotes(
        P("Her archive work is the heart of the book, and Teodora Ilic knows it. She writes:"),
        Q("The clerks kept two ledgers, one for the board and one for themselves."),
    )
    assert [(q.kind, q.speaker) for q in found] == [("direct", "Teodora Ilic")]


def test_first_person_object_pronoun_is_the_author_not_a_speaker_named_me() -> None:
    from bot.essays.model import Block, Section

    block = Block("paragraph", "“Ship it on Friday,” my manager told me. “Not on my watch,” said me, apparently.")
    quotes = find_quotes([Section(1, "One", (block,), 0, 1)], author="Ada Brennan")
    assert all(q.speaker != "Me" and q.speaker != "me" for q in quotes)


# --- issue 17: shapes from real blogs ---------------------------------------------------------

# One paragraph each: (paragraph, [(kind, speaker, text)]).
ISSUE_17_PARAGRAPHS: list[tuple[str, list[tuple[str, str | None, str]]]] = [
    # appositive speaker whose verb is far from the quotation
    (
        "Ilse Varga, Merrow's attorney general, describes a court so crowded that a judge was required only to "
        "“read the charge and pick a number” before the next case.",
        [("direct", "Ilse Varga", "read the charge and pick a number")],
    ),
    # British single marks, curly and straight, with a double quotation nested inside
    (
        '‘When a minister says "the data are clear", she means one study,’ said Tomas Reyes.',
        [
            ("direct", "Tomas Reyes", 'When a minister says "the data are clear", she means one study'),
            ("direct", None, "the data are clear"),
        ],
    ),
    (
        "The reaction was cool, with the shadow minister, Ivo Brandt, calling it 'the right idea at the wrong price'.",
        [("direct", "Ivo Brandt", "the right idea at the wrong price")],
    ),
    # academic citations as speakers
    (
        "Braddock et al. (2018) find that “people held for a week are far more likely to be rearrested.”",
        [("direct", "Braddock", "people held for a week are far more likely to be rearrested.")],
    ),
    (
        "The second study is Okafor et al. 2013, which finds ‘small gains in reading, mostly among poorer pupils’.",
        [("direct", "Okafor", "small gains in reading, mostly among poorer pupils")],
    ),
    (
        "Ng et al. 2020, which tracked 2,400 households in three cities, concludes that ‘evicted tenants move twice "
        "as often afterwards’.",
        [("direct", "Ng", "evicted tenants move twice as often afterwards")],
    ),
    # organisations and bodies
    (
        "In 2011 a review reached the same view, in the words of the Schools Funding Commission that small classes "
        "were ‘a good thing bought at the highest possible price’.",
        [("direct", "the Schools Funding Commission", "a good thing bought at the highest possible price")],
    ),
    (
        "The drought led to the Calloway Farm Bureau saying that “the bank was the last lender still answering.”",
        [("direct", "the Calloway Farm Bureau", "the bank was the last lender still answering.")],
    ),
    (
        "The Merrow Sentencing Commission warned that “detention is producing the crime it claims to prevent.”",
        [("direct", "the Merrow Sentencing Commission", "detention is producing the crime it claims to prevent.")],
    ),
    # a publication is never a speaker; its writer or source is
    (
        "The Riverside Sentinel reported last week that “the expansion has the votes.”",
        [("direct", None, "the expansion has the votes.")],
    ),
    (
        "“It is boring on purpose,” Hollis Drummond told the Calloway Ledger.",
        [("direct", "Hollis Drummond", "It is boring on purpose")],
    ),
    (
        "According to Priya Venn, the department's chief analyst, ‘nobody here has read the trials themselves.’",
        [("direct", "Priya Venn", "nobody here has read the trials themselves.")],
    ),
    # a role phrase, then the name: the person speaks, not the party
    (
        "The chair of the state Republican Party, Ted Halvorsen, told us that “the maps are the fairest around.”",
        [("direct", "Ted Halvorsen", "the maps are the fairest around.")],
    ),
    # the appositive "who ..." before a colon
    (
        "Councilmember Rita Obi, who chairs the transport committee, was blunter: “We chose the cheapest option "
        "every year.”",
        [("direct", "Rita Obi", "We chose the cheapest option every year.")],
    ),
    # scare quotes stay speakerless, capitalised coinages too
    ("Everyone now speaks of the “Bridge to Nowhere” as if it were built.", [("scare", None, "Bridge to Nowhere")]),
    ("What does it even mean to “incorporate victory” into a plan?", [("scare", None, "incorporate victory")]),
    # code, markup and interface labels are nobody's words
    ("Set ENV['RAILS_ENV'] = 'production' and open “Domains > Domain Manager” in the panel.", []),
    ('The image had width="12" and alt="external link" in its markup.', []),
]


@pytest.mark.parametrize(("paragraph", "expected"), ISSUE_17_PARAGRAPHS)
def test_issue_17_paragraph_shapes(paragraph: str, expected: list[tuple[str, str | None, str]]) -> None:
    assert triples(quotes(P(paragraph), author="Pat Author")) == expected


# Lead-ins to a block quote: (lead-in paragraphs, block quote, expected speaker).
BLOCK_LEAD_INS: list[tuple[tuple[str, ...], str, str | None]] = [
    (("As Lyman Frazier put it in 1919:",), "A state has no business in banking, we are told.", "Lyman Frazier"),
    (
        ("Over at the Ledger Lines blog, Jonah Goffe makes a fair point about the war:",),
        "Nobody is close to pushing anyone into the sea.",
        "Jonah Goffe",
    ),
    (
        ("In a recent post, RTG endorses the party line on wages:",),
        "Americans who make the minimum are in high school.",
        "RTG",
    ),
    (
        ("Tessa Vane has opinions on everything. Use them anywhere. Use them on the weather:",),
        "I always thought the forecast would get more local.",
        "Tessa Vane",
    ),
    (
        ("I admire Marta Quill, whatever her politics. And her account of the strike is stunning:",),
        "The men went back because the children were hungry.",
        "Marta Quill",
    ),
    (("From a Hakim Bey interview:",), "Symbolic action is not action.", "Hakim Bey"),
    (
        ("Looks like Downsize Now has done something useful:",),
        "We launched a campaign for the transparency act.",
        "Downsize Now",
    ),
    # a publication and the author himself are not speakers
    (("The Harbour Times had an article on the merger:",), "The deal closed quietly on Friday.", None),
    (("I sum my position up with an old line: the market is for everyone:",), "Flexibility helps the young.", None),
    # a citation in brackets at the end of the block
    (("This says it better than I can:",), "Faith does not begin with the self. (Hatonn, February 3, 1991)", "Hatonn"),
    # a listing set as a block quote is no quotation at all
    (("Paste this into init.rb:",), "def image_data(flag = false) the_thumb.current_data end", "-"),
]


@pytest.mark.parametrize(("lead_ins", "block", "speaker"), BLOCK_LEAD_INS)
def test_block_quote_speaker_from_its_lead_in(lead_ins: tuple[str, ...], block: str, speaker: str | None) -> None:
    found = [q for q in quotes(*(P(text) for text in lead_ins), Q(block)) if q.kind == "direct"]
    if speaker == "-":
        assert found == []
        return
    assert [q.speaker for q in found if q.text.startswith(block[:12])] == [speaker]


def test_pronoun_in_a_lead_in_reaches_back_past_paragraphs_without_names() -> None:
    found = quotes(
        P("Kevin Potvin wrote an article about his reactions to the attack."),
        P("The media simply lies about anyone who steps outside the lines."),
        P("The offending passages of his original article rubbed me the wrong way:"),
        Q("I have a terrible confession to make."),
    )
    assert [(q.kind, q.speaker) for q in found] == [("direct", "Kevin Potvin")]


def test_she_prefers_the_name_the_essay_calls_she() -> None:
    found = quotes(
        P("I tried to explain this to RTG, but she ignored it. Then RTG would have a point, if the market were free."),
        P("It is not free, and Dean Baker makes the argument in his book. Dean Baker explains:"),
        Q("Professions are protected from trade."),
        P("Instead of answering that, she launches into a display of question-begging:"),
        Q("Doctors should have a minimum wage too."),
    )
    assert [q.speaker for q in found if q.kind == "direct"] == ["Dean Baker", "RTG"]


def test_a_block_quote_after_commentary_keeps_the_earlier_speaker() -> None:
    found = quotes(
        P("Then there is this, from Right Thinking Girl:"),
        Q("We should talk up the war."),
        P("Oh, well, that is actually level headed. Way to wrestle that concept into submission!"),
        Q("However, our enemies are fair game."),
    )
    assert [q.speaker for q in found if q.kind == "direct"] == ["Right Thinking Girl", "Right Thinking Girl"]


def test_interview_turns_take_the_speaker_their_tag_names() -> None:
    found = quotes(
        P("I spoke to the chief engineer, Tobias Wren, last week:"),
        Q("Q: Why does the tunnel keep closing?"),
        Q("TW: Because it is old and was built for lighter trains."),
        Q("TW: The closures could have been avoided."),
        author="Owen Trask",
    )
    assert [(q.speaker, q.text) for q in found if q.kind == "direct"] == [
        ("Owen Trask", "Why does the tunnel keep closing?"),
        ("Tobias Wren", "Because it is old and was built for lighter trains."),
        ("Tobias Wren", "The closures could have been avoided."),
    ]


def test_labels_inside_a_block_quote_are_not_interview_tags() -> None:
    found = quotes(
        P("His assessment of the war is stunning:"),
        Q("Objective: Bring democracy to all."),
        Q("Result: The war ended badly."),
    )
    assert [q.kind for q in found] == ["direct"]


def test_multi_paragraph_passage_opening_mid_paragraph_with_a_nested_quotation() -> None:
    found = quotes(
        P(
            "Writing for the March 3 Harbour Review, Delia Marchetti explains the notion of “deposit recycling”: "
            "“The state’s receipts arrive as deposits, and the bank lends them."
        ),
        P("“As the bank’s first president, Amos Reyland, told a committee, ‘a dollar that stays home works twice.’"),
        P("“Today about half its loans are shares of other banks’ loans.”"),
    )
    assert [(q.kind, q.speaker) for q in found] == [
        ("scare", None),
        ("direct", "Delia Marchetti"),
        ("direct", "Amos Reyland"),
    ]


def test_straight_quoted_passage_after_a_colon_intro_with_a_nested_single_quote() -> None:
    found = quotes(
        P("In a long piece for the Marrow Gazette, Curtis Albright argues that the panel is not independent:"),
        P('"The members are chosen from a pool the staff assembles.'),
        P("\"One member, Lila Ferris, told me she was 'surprised how much was decided before we met.' That matters.\""),
    )
    assert [(q.kind, q.speaker) for q in found] == [("direct", "Curtis Albright"), ("direct", "Lila Ferris")]


# --- attribution that carries over to other blogs ----------------------------------------------

# The paragraph leading into a block quote, and who the block quote is by.
LEAD_IN_CASES: list[tuple[str, list[str], str | None]] = [
    ("source-with-via", ["From Larry Jansen (via the Uncapitalist Review):"], "Larry Jansen"),
    ("place-then-writer", ["At Strike the Rock, Pia Borg has made the most salient point one can make:"], "Pia Borg"),
    ("over-at-site", ["Over at the Gadfly, Rudy Balk nails it:"], "Rudy Balk"),
    ("headline-style", ["Ron Pale on the coming police state:"], "Ron Pale"),
    ("appositive-and-lemma", ["I read Tom Hale's new book. Hale, a retired judge, clarifies the point:"], "Hale"),
    (
        "possessive-thesis",
        ["I read Tom Hale's Quiet Courts. Hale's thesis may seem odd at first, but it holds:"],
        "Hale",
    ),
    (
        "work-as-subject",
        ["I read Tom Hale's Quiet Courts: A History. Written long ago, Quiet Courts still says it best:"],
        "Tom Hale",
    ),
    ("article-by", ["Until then, check out this latest article by Harriet Brun:"], "Harriet Brun"),
    ("quote-from", ["I shall recite this quote from Attorney General Rob Mukai:"], "Rob Mukai"),
    ("publication-possessive", ["Much of it was posturing, according to AntiWar.net's Justin Ramos:"], "Justin Ramos"),
    ("adverb-then-name", ["Rudy Balk has covered the raids for years. Again, Balk:"], "Balk"),
    (
        "pronoun-reflects",
        ["Justin Ramos has been on this for years. He reflects on why the press never got it:"],
        "Justin Ramos",
    ),
    ("my-take", ["Dain Fitz offered an explanation that I think is sound.", "Here's my take:"], "Pat Author"),
    ("work-from-appositive", ["Great post from my favorite blogger, Kevin Carlsen:"], "Kevin Carlsen"),
    ("suffix-is-no-name", ["This essay by W. Tom Smythe, Jr. shows what the hawks care about:"], "W. Tom Smythe"),
    ("publication-with-the", ["From the Daily Paulson:"], None),
    ("named-after-a-colon", ["However, I know somebody who is at least open to the idea: Tom Krebs."], "Tom Krebs"),
    ("pointed-to-somebody-unnamed", ["Tom Krebs agrees.", "He refers to a state legislator's note on the bill:"], None),
    (
        "their-training-is-no-text",
        ["We saw this at the FTAA protests in Miami.", "The psychology is promoted in their training:"],
        None,
    ),
    ("my-friend", ["My friend Wil (who hates permalinks) misses the point on the fraud story:"], "Wil"),
    (
        "friend-mid-sentence",
        ["Dan Farr wrote a reply.", "But in the comments my friend Sara found a better way:"],
        "Sara",
    ),
    ("a-reply-is-a-noun", ["Dan Farr wrote a thoughtful reply:"], "Dan Farr"),
    ("unnamed-source", ["From an otherwise decent article by Lila Raj:", "From a campus administrator:"], None),
    (
        "lets-is-no-name",
        ["Let's ignore the facts for a moment.", "Opponents want to feel safe (all emphasis mine):"],
        None,
    ),
    (
        "a-place-is-not-a-person",
        ["For an eyewitness account of New Orleans, check the Interdictor. This brought tears:"],
        None,
    ),
    ("a-title-is-not-a-person", ["Here's an excerpt from Left and Right: Forty Years Later that I liked:"], None),
]


@pytest.mark.parametrize(
    ("lead_in", "expected"), [pytest.param(lead, expected, id=name) for name, lead, expected in LEAD_IN_CASES]
)
def test_a_block_quote_takes_the_speaker_its_lead_in_names(lead_in: list[str], expected: str | None) -> None:
    found = quotes(
        *(P(text) for text in lead_in), Q("The quoted words run on here, as quoted words do."), author="Pat Author"
    )
    assert [q.speaker for q in found if q.kind == "direct"] == [expected]


# One paragraph and the speaker of the quotation in it.
INLINE_CASES: list[tuple[str, str, str | None]] = [
    (
        "pronoun-before-colon",
        'Tom Hale met Mara Voss on Friday. She was blunt: "It will fail before the year is out."',
        "Mara Voss",
    ),
    ("to-quote", 'To quote Einstein, "The problems we have cannot be solved at the level that made them."', "Einstein"),
    ("immortal-words", 'In the immortal words of Tyrone Biggs, "is that so wrong, really, after all?"', "Tyrone Biggs"),
    (
        "two-appositives",
        '"I never treated anybody so badly," one of the guards, Rick Blane, a former state trooper, wrote in an email.',
        "Rick Blane",
    ),
    (
        "phrasal-verb",
        'Hale said the plan was sound; Voss shot back that "it is the worst plan this city has seen."',
        "Voss",
    ),
    (
        "possessive-publication-thing",
        'The Courier\'s country profile of Somalia sums it up: "Somalia has had no central government since 1991."',
        None,
    ),
    (
        "modifier-is-no-person",
        "Richard Perle keeps dreaming. Perle, a former Pentagon adviser, recast a comment in which he "
        'predicted "a grand square named for the president."',
        "Perle",
    ),
    ("a-word-in-use", 'People will die until we, the people, start saying "no" to the State.', "none"),
    (
        "when-is-not-who",
        'A survey by the Pew Center this week says few readers would "miss the local news a lot."',
        "the Pew Center",
    ),
    (
        "a-place-is-not-he",
        'The warden works in Virginia. Tim Worrell knows gangs. Asked about them, he warned that "they are '
        'everywhere now, even here."',
        "Tim Worrell",
    ),
    (
        "a-group-is-not-he",
        'Tom Reyes voted no, and Democrats were furious. He objected to any cut "to the troops in the field '
        'right now."',
        "Tom Reyes",
    ),
    (
        "leaked-markup",
        'The bill passed, <a title="CNN on the "Secret Senator"" href="x">thanks to bloggers</a>.',
        "none",
    ),
]


@pytest.mark.parametrize(
    ("paragraph", "expected"), [pytest.param(text, expected, id=name) for name, text, expected in INLINE_CASES]
)
def test_the_attribution_grammar_finds_the_speaker(paragraph: str, expected: str | None) -> None:
    found = [q for q in quotes(P(paragraph)) if q.kind == "direct"]
    if expected == "none":
        assert found == []  # nobody's words: markup, or a word in use
    else:
        assert [q.speaker for q in found] == [expected]


OUTLET_PARAGRAPHS = [
    (
        "wrote-in",
        'Mara Voss wrote in the Clarion last week. The Clarion argued that "the plan will fail before long."',
    ),
    (
        "an-editorial",
        'In a Clarion editorial, the paper was blunt. Clarion agreed: "It is doomed and everyone in town knows it."',
    ),
    ("visit", 'Visit Bridgewatch for more. Bridgewatch says that "the tolls will never come down again, not ever."'),
]


@pytest.mark.parametrize("paragraph", [pytest.param(text, id=name) for name, text in OUTLET_PARAGRAPHS])
def test_a_publication_named_as_one_is_never_a_speaker(paragraph: str) -> None:
    assert [q.speaker for q in quotes(P(paragraph)) if q.kind == "direct"] == [None]


def test_a_writer_who_wrote_in_a_publication_is_the_speaker() -> None:
    found = quotes(P('Mara Voss wrote in the Clarion that "the plan will fail before the year is out."'))
    assert [q.speaker for q in found] == ["Mara Voss"]


def test_the_blog_itself_is_never_a_speaker() -> None:
    found = find_quotes(
        one_section(P('As Rivermouth Notes said last year, "the bridge tolls will never come down again."')),
        author="Pat Author",
        site_name="Rivermouth Notes",
        notable=0,
    )
    assert [(q.kind, q.speaker) for q in found] == [("direct", None)]


# Quoted text that is nobody's words: menu and breadcrumb paths, leaked markup, banners, names.
NOT_QUOTATION_PARAGRAPHS = [
    ("menu-arrow", "To turn it off, choose “File → Export Settings” and untick the box on the left."),
    ("menu-ascii-arrow", 'Then pick "Tools -> Options -> Privacy" before you restart the browser again.'),
    ("breadcrumb-bar", "The switch hides under “Settings | Privacy | Cookies” on most phones these days."),
    (
        "leaked-image-tag",
        'The site Porkwatch<img width="12" class="offsite" alt="external link" src="http://x.example/i.gif\' /> '
        "urged readers to call their senators.",
    ),
    ("banner", 'The site ran it under the banner "bloggers unite in pursuit of the masked senator" all week.'),
]


@pytest.mark.parametrize("paragraph", [pytest.param(text, id=name) for name, text in NOT_QUOTATION_PARAGRAPHS])
def test_machine_text_and_titles_are_not_quotations(paragraph: str) -> None:
    assert [q for q in quotes(P(paragraph)) if q.kind in ("direct", "scare")] == []


def test_a_one_word_name_with_a_stop_is_a_scare_quote_not_speech() -> None:
    assert triples(quotes(P('We watched "COPS." every Friday.'))) == [("scare", None, "COPS")]


def test_a_command_set_as_a_block_quote_is_no_quotation() -> None:
    found = quotes(P("First, start your server in the test environment:"), Q("mongrel_rails start -e test"))
    assert [q for q in found if q.kind == "direct"] == []


def test_a_block_quote_that_opens_with_a_short_quotation_is_still_the_writers_block_quote() -> None:
    found = quotes(
        P("Go read the introduction from Jim Bovan's new book, Deficit Democracy, posted at Rockwell Daily:"),
        Q(
            '"Presidents have lied so much to us that they own the right to do so," historian Leo Ribs observed '
            "in 1998. From the Bay of Pigs to the Gulf of Tonkin, whole generations have come of age since a "
            "president's power was held in check by a duty of candor to the public."
        ),
    )
    assert [(q.speaker, q.text[:24]) for q in found if q.kind == "direct"] == [
        ("Jim Bovan", '"Presidents have lied so'),
        ("Leo Ribs", "Presidents have lied so "),
    ]


def test_a_block_quote_made_of_attributed_quotations_gives_just_those() -> None:
    found = quotes(
        P("The fact that Stevens would whine about needing more information is outrageous:"),
        Q('"Stevens sits on the committee and never raised any objections," Hart said. "His concerns were met."'),
    )
    assert [(q.speaker, q.text) for q in found if q.kind == "direct"] == [
        ("Hart", "Stevens sits on the committee and never raised any objections"),
        ("Hart", "His concerns were met."),
    ]


def test_a_sentence_after_a_block_quote_is_no_attribution_line() -> None:
    found = quotes(
        P("If you are from a kinder state, here is a taste:"),
        Q("Driving 15 MPH over the limit now brings six points and a fine."),
        P("However, I know somebody who is at least open to the idea: Tom Krebs."),
        Q("I do not see why there is an uproar over these fees."),
    )
    assert [q.speaker for q in found if q.kind == "direct"] == [None, "Tom Krebs"]


def test_a_term_far_from_the_verb_is_a_scare_quote_even_with_its_stop() -> None:
    found = quotes(P('They admit those whose concern for liberty makes them resistant to "private property."'))
    assert triples(found) == [("scare", None, "private property")]


# --- block-quote speakers found by carrying over the essay's own clues (issue 17, third pass) ------

BLOCK_SPEAKER_SHAPES: list[tuple[str, tuple[Block, ...], list[str | None]]] = [
    (
        "a run of one pronoun keeps its first antecedent",
        (
            P(
                "The feed of Tom Reyes's blog sits at the top of my reader. He writes well about the courts, "
                "and he has been following the case of Amos Leigh, and he explains why the papers missed it:"
            ),
            Q("The wire service wrote it up on the first day and never came back to it, which is how stories die."),
        ),
        ["Tom Reyes"],
    ),
    (
        "a name after a preposition is not whom the essay's he means",
        (
            P("Lena Ortiz keeps a notebook in my Filebox. She writes about water rights and she says it plainly:"),
            Q("Every town that sold its wells in a bad year has spent the good years buying them back."),
        ),
        ["Lena Ortiz"],
    ),
    (
        "a title gives the gender, inside borrowed text too",
        (
            Q("About a year earlier, Mr. Obuya said, Lumen had asked the gallery about using his film in an advert."),
            Q('"I told them I did not want to do it," he said.'),
        ),
        [None, "Obuya"],
    ),
    (
        "a kind of person is nobody's name",
        (
            P("Dev Patel wrote the column that everyone is angry about this week:"),
            Q("I know that many people died that day, and I know it barely touched me at the time."),
            P(
                "The more I read him, the more I saw his nerve. The only difference between him and your "
                "typical Canadian is that he does not pretend the day was unthinkable."
            ),
            Q("Let us face facts about how little most of us notice the deaths of strangers far away."),
        ),
        ["Dev Patel", "Dev Patel"],
    ),
    (
        "a source work with a possessive anywhere in the lead-in",
        (
            P("I think this context is missing from Dana Whitfield's recent analysis of the council at Ledger Notes:"),
            Q("I have been trying for months to explain the difference between reformers and radicals in this town."),
        ),
        ["Dana Whitfield"],
    ),
    (
        "a work talked about is not the quotation's source",
        (
            P("Karen Holt has opinions about everything. She blogs daily, and her latest is about the budget:"),
            Q("I skipped the hearing, but that will not stop me from telling you what it meant."),
            P("Or use your opinions to take apart, say, Mayor Bell's speech last night:"),
            Q("Any budget that does not cut the parks first is a budget for the next recession."),
        ),
        ["Karen Holt", "Karen Holt"],
    ),
    (
        "he or she anywhere in the lead-in",
        (
            P("The comedy goes on: Mara Quist has made some revealing comments lately as she mourns her party."),
            P("Look at some of the whoppers she's been slinging lately, like this one:"),
            Q("Trying to be gentle sounds lovely, but it only moves the losses onto our side of the ledger."),
        ),
        ["Mara Quist"],
    ),
    (
        "an excerpt is from the work under discussion",
        (
            P("I am finding Ruth Calder's Quiet Engines to be a sharp statement of what I have come to believe."),
            P("A great excerpt on how committees swallow people:"),
            Q("Because we gain so much from working together, we assume that every committee will make us closer."),
        ),
        ["Ruth Calder"],
    ),
    (
        "a lead-in pronoun with nobody before it waits for the commentary after",
        (
            P(
                "This fellow really made me think. He wrote an article that argues that defending the old "
                "party is useless - the party is gone:"
            ),
            Q("The party no longer stands for thrift or for restraint; it stands for whatever wins the next vote."),
            P("I cannot overstate how much this matters. It stings, but I agree with Okafor's thesis."),
        ),
        ["Okafor"],
    ),
    (
        "a group named between two block quotes does not stop the speaker carrying",
        (
            P("Here is what Nina Vale posted on Monday:"),
            Q("We should never have let the bridge money go to the stadium, and I said so at the time."),
            P("Never mind what the Young Stadium Boosters think. Then there is this moment of reflection:"),
            Q("One thing the other side has always been, and we have not, is loud about what it wants."),
        ),
        ["Nina Vale", "Nina Vale"],
    ),
]


@pytest.mark.parametrize(
    ("blocks", "speakers"), [pytest.param(blocks, speakers, id=name) for name, blocks, speakers in BLOCK_SPEAKER_SHAPES]
)
def test_block_quote_speakers_from_the_essays_own_clues(blocks: tuple[Block, ...], speakers: list[str | None]) -> None:
    found = [q for q in quotes(*blocks) if q.kind == "direct"]
    assert [q.speaker for q in found] == speakers


# --- the fourth pass: conventions of English attribution met on real posts ---------------------

ATTRIBUTION_CONVENTIONS: list[tuple[str, tuple[Block, ...], list[tuple[str, str | None, str]]]] = [
    (
        "doubled apostrophes stand for double marks",
        (P("Ines Marsh put it flatly: ''Nobody reads the minutes, not even the council.''"),),
        [("direct", "Ines Marsh", "Nobody reads the minutes, not even the council.")],
    ),
    (
        "a word in doubled apostrophes is a scare quote",
        (P("They understood it -- and ''it'' was the money."),),
        [("scare", None, "it")],
    ),
    (
        "doubled apostrophes between spaces are an empty string, not marks",
        (P("Set the field to '' and the form submits nothing at all, which is what '' means here."),),
        [],
    ),
    (
        "the <surname> article names its writer",
        (
            P("More of the same from the Halvorsen article:"),
            Q("Every road the county paved that year led to a parcel somebody on the board owned."),
        ),
        [("direct", "Halvorsen", "Every road the county paved that year led to a parcel somebody on the board owned.")],
    ),
    (
        "the <paper> article, when the essay names the paper on its own, is the paper's",
        (
            P("The Clarion ran the numbers last week. More from the Clarion article:"),
            Q("Every road the county paved that year led to a parcel somebody on the board owned."),
        ),
        [("direct", None, "Every road the county paved that year led to a parcel somebody on the board owned.")],
    ),
]

ROAD = "Every road the county paved that year led to a parcel somebody on the board owned."
BRIDGE = "We should never have let the bridge money go to the stadium, and I said so at the time."
RENAME = "The first thing the council should do is rename the fund and start again in the spring."


def _she_after(middle: str) -> tuple[Block, ...]:
    """Nina Vale's block quote, a paragraph naming something else, then a lead-in with "she"."""
    return (
        P("Here is what Nina Vale posted on Monday:"),
        Q(BRIDGE),
        P(middle),
        P("Oh, well. Never mind. But at least she offers something new, even if it is only a new name:"),
        Q(RENAME),
    )


ATTRIBUTION_CONVENTIONS += [
    (
        "a participle of saying after a comma speaks for the sentence's subject",
        (
            P(
                "The last speaker was Carla Denholm, who has written a book on the old mills. She thanked the "
                'crowd for coming, telling us that she hoped to be "marching with you all next spring". She meant it.'
            ),
        ),
        [("direct", "Carla Denholm", "marching with you all next spring")],
    ),
    (
        "a second content clause of one verb of saying keeps its speaker",
        (
            P(
                'Lena Park spoke last. Her worry, she said, was that "nobody reads the fine print anymore" and '
                'that "the council counts on exactly that."'
            ),
        ),
        [
            ("direct", "Lena Park", "nobody reads the fine print anymore"),
            ("direct", "Lena Park", "the council counts on exactly that."),
        ],
    ),
    (
        "an interjection names nobody",
        (
            P(
                "Tomas Brell has a post up about the strike. Oh, God. Never mind. But at least he offers a plan "
                "of his own, even if it is just the old one renamed:"
            ),
            Q(ROAD),
        ),
        [("direct", "Tomas Brell", ROAD)],
    ),
    (
        "a name in a parenthetical aside is not the lead-in's subject",
        (
            P(
                "Have a look at this chapter (Ada Quint is the narrator, a sort of tired Sherlock Holmes if you "
                "like). It also has a telling footnote:"
            ),
            Q(ROAD),
        ),
        [("direct", None, ROAD)],
    ),
    (
        "a pen name the essay calls she is the lead-in paragraph's subject, and 'we' is not the writer quoting",
        (
            P(
                "Greyhawk is annoyed with those of us on the left who - SHOCK - expect the mayor to keep his "
                "promises. And we do not differ on goals, only on methods:"
            ),
            Q(ROAD),
            P("I do not see how Greyhawk can argue that politeness works better. If she wants quiet, fine."),
        ),
        [("direct", "Greyhawk", ROAD)],
    ),
    (
        "a numbered unit is never she",
        _she_after("The money went to their 3rd Stadium Boosters anyway."),
        [("direct", "Nina Vale", BRIDGE), ("direct", "Nina Vale", RENAME)],
    ),
    (
        "letters and stops are no name",
        _she_after("So you're O.K. with the stadium, then?"),
        [("direct", "Nina Vale", BRIDGE), ("direct", "Nina Vale", RENAME)],
    ),
    (
        "a word the essay only names after 'of' or 'in' is a place, never she",
        _she_after("It is the people of Dunmore who pay for it."),
        [("direct", "Nina Vale", BRIDGE), ("direct", "Nina Vale", RENAME)],
    ),
]


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [pytest.param(blocks, expected, id=name) for name, blocks, expected in ATTRIBUTION_CONVENTIONS],
)
def test_attribution_conventions_of_real_posts(
    blocks: tuple[Block, ...], expected: list[tuple[str, str | None, str]]
) -> None:
    assert triples(quotes(*blocks)) == expected
