"""A synthetic essay archive for benchmarks: deterministic by seed, thousands of essays in seconds.

Every sentence is built here from our own word lists and templates, on a handful of
topics (politics, law and courts, economics, culture, transit, housing, schools). The essays
carry what the analysis looks for: headings in some, quotations with speakers (curly and
straight quotes, epigraphs with an attribution line, block quotes), figures written many ways,
references to earlier generated posts ("see also my March 9th <Title> blog", "as I wrote last
week", links to earlier URLs) and labels. The text is nonsense of a plausible shape; it is for
timing and for ranking sanity, not for reading.

    python -m bench.generate OUT_DIR --count 1000 --seed 7 [--words 1500]

writes ``OUT_DIR/YYYY-MM-DD-slug.md`` Jekyll-style posts with YAML front matter. From code,
``generate(count, seed=...)`` yields ``GeneratedPost`` objects with ``to_markdown()`` and
``to_essay()`` (blocks built directly, no Markdown parsing).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.essays.model import Block, BlockKind, Essay

BLOG_URL = "https://generated-essays.example/"
AUTHOR = "Avery Lindqvist"
START = datetime(2015, 1, 5, 8, 0, tzinfo=UTC)
MONTHS = "January February March April May June July August September October November December".split()


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    labels: tuple[str, ...]
    nouns: tuple[str, ...]
    adjectives: tuple[str, ...]
    actors: tuple[str, ...]
    speakers: tuple[tuple[str, str], ...]  # (name, role)
    units: tuple[str, ...]  # what counts are counts of


TOPICS: tuple[Topic, ...] = (
    Topic(
        "politics",
        ("politics", "elections", "parliament", "campaigns"),
        tuple(
            "ballot coalition caucus mandate turnout primary incumbent majority filibuster referendum "
            "constituency manifesto polling pollster candidate district redistricting delegate "
            "nomination platform donors endorsement recount electorate opposition whip".split()
        ),
        tuple("partisan bipartisan electoral swing marginal populist centrist procedural".split()),
        tuple("the party leadership|the governor|the senate majority|the opposition bench".split("|")),
        (
            ("Helena Marsh", "the party chair"),
            ("Tobias Quill", "a campaign strategist"),
            ("Rosa Benning", "the speaker"),
        ),
        ("voters", "seats", "districts", "delegates"),
    ),
    Topic(
        "courts",
        ("law", "courts", "constitution", "justice"),
        tuple(
            "appeal verdict injunction precedent jurisdiction plaintiff defendant testimony statute "
            "tribunal magistrate docket ruling dissent indictment subpoena prosecutor acquittal "
            "sentencing bail jury warrant habeas amendment clause".split()
        ),
        tuple("judicial appellate constitutional procedural statutory federal criminal civil".split()),
        tuple("the supreme court|the appeals panel|the attorney general|the defence team".split("|")),
        (
            ("Justice Imogen Hale", "the senior judge"),
            ("Marcus Oyelaran", "a defence lawyer"),
            ("Petra Voss", "the prosecutor"),
        ),
        ("cases", "judges", "jurors", "appeals"),
    ),
    Topic(
        "economics",
        ("economics", "budget", "taxes", "inflation"),
        tuple(
            "inflation deficit surplus tariff subsidy revenue levy bond yield interest wages "
            "productivity recession stimulus austerity pension treasury ledger debt mortgage "
            "dividend audit forecast procurement reserves".split()
        ),
        tuple("fiscal monetary structural cyclical regressive progressive nominal real".split()),
        tuple("the treasury|the central bank|the finance committee|the budget office".split("|")),
        (
            ("Dr Anselm Kray", "an economist at Harrowgate University"),
            ("Lena Okafor", "the finance minister"),
            ("Walt Brenner", "the budget director"),
        ),
        ("households", "jobs", "firms", "taxpayers"),
    ),
    Topic(
        "culture",
        ("culture", "arts", "music", "libraries"),
        tuple(
            "orchestra museum gallery theatre festival library manuscript archive novelist poet "
            "exhibition curator repertoire audience rehearsal choir sculpture premiere anthology "
            "broadcaster publisher critic canon ensemble".split()
        ),
        tuple("artistic literary municipal experimental classical civic touring amateur".split()),
        tuple("the arts council|the museum board|the festival directors|the library trustees".split("|")),
        (
            ("Odile Ferrand", "the festival director"),
            ("Samir Castell", "the principal conductor"),
            ("June Whitaker", "a librarian"),
        ),
        ("visitors", "musicians", "libraries", "tickets"),
    ),
    Topic(
        "transit",
        ("transit", "transport", "infrastructure", "cities"),
        tuple(
            "tramway railway timetable ridership fare depot signalling corridor interchange bus "
            "platform commuter freight tunnel viaduct junction terminus rolling-stock busway "
            "cycleway congestion overpass station".split()
        ),
        tuple("regional suburban electrified orbital express frequent crowded late".split()),
        tuple("the transit authority|the rail operator|the regional council|the roads agency".split("|")),
        (
            ("Ingrid Solberg", "the transit commissioner"),
            ("Devon Achebe", "a union organiser"),
            ("Pim Hartog", "the chief engineer"),
        ),
        ("riders", "trains", "stations", "buses"),
    ),
    Topic(
        "housing",
        ("housing", "zoning", "planning", "cities"),
        tuple(
            "zoning tenant landlord rent eviction mortgage density apartment planning permit "
            "homelessness shelter subdivision leasehold freehold allotment developer affordability "
            "setback vacancy rezoning townhouse estate".split()
        ),
        tuple("affordable social vacant overcrowded residential municipal rental speculative".split()),
        tuple("the planning board|the housing department|the tenants union|the city council".split("|")),
        (
            ("Mayor Colette Durand", "the mayor"),
            ("Ravi Menon", "a tenants organiser"),
            ("Greta Lund", "the chief planner"),
        ),
        ("homes", "tenants", "permits", "apartments"),
    ),
    Topic(
        "schools",
        ("education", "schools", "universities"),
        tuple(
            "curriculum classroom headteacher enrolment tuition syllabus examination pupil "
            "scholarship campus faculty lecturer attendance kindergarten apprenticeship literacy "
            "numeracy timetable governors inspection truancy".split()
        ),
        tuple("academic vocational selective comprehensive underfunded rural graduate remedial".split()),
        tuple("the school board|the education ministry|the university senate|the teachers union".split("|")),
        (
            ("Professor Alma Reyes", "the vice-chancellor"),
            ("Noah Brandt", "a headteacher"),
            ("Keiko Aranda", "the education secretary"),
        ),
        ("pupils", "schools", "teachers", "graduates"),
    ),
)

# Shared connective vocabulary, so topics overlap the way real essays do.
COMMON_NOUNS = tuple(
    "decision problem question argument policy system cost promise plan report record process "
    "reform choice trade-off evidence debate compromise rule deadline priority account".split()
)
VERBS = tuple(
    "ignored delayed defended rewrote questioned funded cancelled expanded promised reviewed "
    "postponed doubled cut approved challenged blocked".split()
)
OPENERS = (
    "For years,",
    "Last spring,",
    "In practice,",
    "On paper,",
    "By any measure,",
    "Quietly,",
    "Meanwhile,",
    "Predictably,",
    "",
    "",
)
SCARE = ("reform", "efficiency", "common sense", "modernisation", "fairness", "value for money")
NUMBER_WORDS = ("Nineteen", "Twelve", "Seven", "Fourteen", "Three", "Eleven", "Twenty")
HEADINGS = (
    "How we got here",
    "What the {noun} costs",
    "The {adj} case",
    "Who decides about the {noun}",
    "What comes next",
    "The trouble with the {noun}",
    "Reading the {noun}",
)
TITLES = (
    "The {Adj} {Noun} Problem",
    "Why the {Noun} Still Matters",
    "Nobody Asked About the {Noun}",
    "What the {Noun} Was For",
    "A {Noun} Too Far",
    "The {Noun} and the {Noun2}",
    "Counting the {Noun}",
    "After the {Noun}",
)


@dataclass(slots=True)
class GeneratedPost:
    """One synthetic essay: metadata and its blocks (with the links its Markdown carries)."""

    index: int
    slug: str
    title: str
    published: datetime
    labels: tuple[str, ...]
    url: str
    blocks: list[tuple[BlockKind, str]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (anchor text, url), in the blocks' text
    references: list[str] = field(default_factory=list)  # urls of earlier posts referred to

    @property
    def filename(self) -> str:
        return f"{self.published:%Y-%m-%d}-{self.slug}.md"

    @property
    def word_count(self) -> int:
        return sum(len(text.split()) for _, text in self.blocks)

    def to_essay(self) -> Essay:
        return Essay(
            key=self.url,
            title=self.title,
            blocks=tuple(Block(kind, text) for kind, text in self.blocks),
            url=self.url,
            author=AUTHOR,
            published=self.published,
            labels=self.labels,
            source="generated",
            links=tuple(url for _, url in self.links),
        )

    def to_markdown(self) -> str:
        front = [
            "---",
            f"title: {json.dumps(self.title)}",
            f"date: {self.published.isoformat()}",
            f"author: {AUTHOR}",
            f"tags: {json.dumps(list(self.labels))}",
            f"url: {self.url}",
            "---",
            "",
        ]
        body: list[str] = []
        for kind, text in self.blocks:
            for anchor, url in self.links:
                if anchor in text:
                    text = text.replace(anchor, f"[{anchor}]({url})", 1)
            if kind == "heading":
                body.append(f"## {text}")
            elif kind == "quote":
                body.append(f"> {text}")
            elif kind == "item":
                body.append(f"- {text}")
            else:
                body.append(text)
        return "\n".join(front) + "\n\n".join(body) + "\n"


class _Writer:
    """Builds one essay's blocks from a topic, with the archive so far for references."""

    def __init__(self, rng: random.Random, topic: Topic, second: Topic, earlier: Sequence[GeneratedPost]) -> None:
        self.rng = rng
        self.topic = topic
        self.second = second
        self.earlier = earlier

    def pick(self, options: Sequence[str]) -> str:
        return options[self.rng.randrange(len(options))]

    def noun(self) -> str:
        # Mostly the main topic, sometimes the second one or the shared vocabulary.
        roll = self.rng.random()
        if roll < 0.6:
            return self.pick(self.topic.nouns)
        if roll < 0.75:
            return self.pick(self.second.nouns)
        return self.pick(COMMON_NOUNS)

    def figure(self, published: datetime, kinds: Sequence[int] = (3, 4, 5, 6, 10)) -> str:
        """A figure, written one of several ways: 0-2 money, 3-6 and 10 counts and shares, 7-9 times."""
        rng, unit = self.rng, self.pick(self.topic.units)
        kind = kinds[rng.randrange(len(kinds))]
        if kind == 0:
            return f"${rng.randint(1, 9)},{rng.randint(100, 999)} more per {unit[:-1]}"
        if kind == 1:
            return f"${rng.randint(2, 99)}.{rng.randint(1, 9)} billion over {rng.randint(2, 6)} years"
        if kind == 2:
            return f"${rng.randint(1, 3)}.{rng.randint(10, 99)} for every dollar"
        if kind == 3:
            return f"more than {rng.randint(2, 150)} million {unit}"
        if kind == 4:
            return f"{self.pick(NUMBER_WORDS)} {unit}"
        if kind == 5:
            return f"{rng.randint(3, 60)} percent of {unit}"
        if kind == 6:
            return f"{rng.randint(1, 9)}.{rng.randint(1, 9)} percentage points"
        if kind == 7:
            return f"since {rng.randint(1900, 1999)}"
        if kind == 8:
            return f"at {rng.randint(7, 11)} AM Eastern on {_day(published)}"
        if kind == 9:
            day = published - timedelta(days=rng.randint(3, 40))
            return f"on {_day(day)}"
        low = rng.randint(10, 40)
        return f"between {low} and {low + rng.randint(5, 30)} percent"

    def sentence(self, published: datetime) -> str:
        rng = self.rng
        n1, n2 = self.noun(), self.noun()
        adj = self.pick(self.topic.adjectives)
        actor = self.pick(self.topic.actors)
        verb = self.pick(VERBS)
        opener = self.pick(OPENERS)
        form = rng.randrange(9)
        if form == 0:
            text = f"{actor} {verb} the {adj} {n1} and called it {n2} policy"
        elif form == 1:
            text = f"the {n1} was never about the {n2}; it was about who pays for the {adj} {self.noun()}"
        elif form == 2:
            text = f"{actor} {verb} a plan worth {self.figure(published, (0, 1, 2))}, tied to the {n1}"
        elif form == 3:
            text = f"the {adj} {n1} now reaches {self.figure(published)}, and the {n2} has not moved"
        elif form == 4:
            text = f"what they call “{self.pick(SCARE)}” turned the {n1} into {_a(adj)} {n2}"
        elif form == 5:
            text = f"nobody at {actor} could explain why the {n1} {verb} the {n2} {self.figure(published, (7, 8, 9))}"
        elif form == 6:
            text = f"the {n1} and the {n2} are the same {adj} question asked twice"
        elif form == 7:
            text = f"{actor} kept the {n1} {adj} while the {n2} was {verb}"
        else:
            text = f"every {n1} depends on {_a(adj)} {n2} that {actor} {verb} in {rng.randint(1990, 2014)}"
        text = f"{opener} {text}" if opener else text
        return text[0].upper() + text[1:] + "."

    def quotation(self, published: datetime) -> str:
        name, role = self.topic.speakers[self.rng.randrange(len(self.topic.speakers))]
        said = f"The {self.noun()} is {self.pick(self.topic.adjectives)} and the {self.noun()} will not wait"
        if self.rng.random() < 0.5:
            return f"“{said},” said {name}, {role}. {self.sentence(published)}"
        return f'"{said}," {name} told reporters. {self.sentence(published)}'

    def reference(self, published: datetime) -> tuple[str, tuple[str, str] | None, str | None]:
        """A sentence pointing at an earlier post: (sentence, link if any, url referred to)."""
        if not self.earlier:
            return self.sentence(published), None, None
        # Recent posts are referred to most, as on a real blog.
        back = min(len(self.earlier), 1 + int(self.rng.expovariate(1 / 25)))
        target = self.earlier[-back]
        day = target.published
        form = self.rng.randrange(3)
        if form == 0:
            return f"See also my {_day(day)} {target.title} blog on the {self.noun()}.", None, target.url
        if form == 1:
            anchor = f"what I wrote about the {self.pick(self.topic.nouns)} before"
            text = f"This is {anchor}, and the {self.noun()} has only grown since."
            return text, (anchor, target.url), target.url
        if (published - day).days <= 10:
            return f"As I wrote last week, the {self.noun()} was always the {self.noun()}.", None, target.url
        return self.sentence(published), None, None


def _day(when: datetime) -> str:
    """How the essays write a date without its year: "March 9th"."""
    return f"{MONTHS[when.month - 1]} {when.day}{_ordinal(when.day)}"


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _ordinal(day: int) -> str:
    if 11 <= day % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _slug(title: str, index: int) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") + f"-{index}"


def _title(rng: random.Random, topic: Topic) -> str:
    template = TITLES[rng.randrange(len(TITLES))]
    noun, noun2 = rng.choice(topic.nouns), rng.choice(topic.nouns)
    adj = rng.choice(topic.adjectives)
    return template.format(Adj=adj.title(), Noun=noun.title(), Noun2=noun2.title())


def make_post(
    rng: random.Random, index: int, published: datetime, earlier: Sequence[GeneratedPost], words: int
) -> GeneratedPost:
    topic = TOPICS[rng.randrange(len(TOPICS))]
    second = TOPICS[rng.randrange(len(TOPICS))]
    title = _title(rng, topic)
    labels = tuple(rng.sample(topic.labels, rng.randint(1, 2)))
    if second is not topic and rng.random() < 0.3:
        labels += (second.labels[0],)
    if rng.random() < 0.2:
        labels += ("commentary",)
    slug = _slug(title, index)
    url = f"{BLOG_URL}{published:%Y/%m}/{slug}.html"
    post = GeneratedPost(index, slug, title, published, tuple(dict.fromkeys(labels)), url)
    writer = _Writer(rng, topic, second, earlier)
    with_headings = rng.random() < 0.4
    if rng.random() < 0.15:
        name, role = rng.choice(topic.speakers)
        post.blocks.append(("quote", f"“The {writer.noun()} outlives every {writer.noun()} that tries to fix it.”"))
        post.blocks.append(("paragraph", f"{name}, {role}, {published.year - rng.randint(1, 30)}"))
    sections = max(2, words // 400)
    section_words = words // sections
    for number in range(sections):
        if with_headings:
            heading = rng.choice(HEADINGS).format(noun=writer.noun(), adj=rng.choice(topic.adjectives))
            post.blocks.append(("heading", heading[0].upper() + heading[1:]))
        written = 0
        while written < section_words:
            sentences: list[str] = []
            for _ in range(rng.randint(3, 6)):
                roll = rng.random()
                if roll < 0.1:
                    sentences.append(writer.quotation(published))
                elif roll < 0.13 and number > 0:
                    text, link, target = writer.reference(published)
                    sentences.append(text)
                    if link:
                        post.links.append(link)
                    if target:
                        post.references.append(target)
                else:
                    sentences.append(writer.sentence(published))
            paragraph = " ".join(sentences)
            kind: BlockKind = "quote" if rng.random() < 0.04 else "paragraph"
            post.blocks.append((kind, paragraph))
            written += len(paragraph.split())
    return post


def generate(count: int, *, seed: int = 1, words: int = 1500) -> Iterator[GeneratedPost]:
    """``count`` essays in date order, each about ``words`` words; the same seed gives the same archive."""
    rng = random.Random(seed)
    earlier: list[GeneratedPost] = []
    published = START
    for index in range(count):
        published += timedelta(days=rng.randint(0, 3), hours=rng.randint(1, 12))
        post = make_post(rng, index, published, earlier, words)
        earlier.append(post)
        # Only recent posts are referred to; keep the window small so memory stays flat.
        if len(earlier) > 400:
            del earlier[:100]
        yield post


def write_archive(out_dir: Path, count: int, *, seed: int = 1, words: int = 1500) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for post in generate(count, seed=seed, words=words):
        path = out_dir / post.filename
        path.write_text(post.to_markdown(), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--words", type=int, default=1500, help="approximate words per essay")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    paths = write_archive(args.out_dir, args.count, seed=args.seed, words=args.words)
    print(f"wrote {len(paths)} essays to {args.out_dir} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
