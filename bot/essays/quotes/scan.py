"""Walking an essay once: blocks, block quotes, borrowed passages, interviews and paragraphs, each
quotation classified (direct, scare, a title) and given its speaker."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.essays.model import BlockKind, Quote, QuoteKind
from bot.essays.quotes.attribution import (
    _COLON_NAME_END_RE,
    _COORDINATED_THAT_RE,
    _COORDINATED_VERB_RE,
    _FIRST_PERSON_WORK_RE,
    _LEAD_SUBJECT_RE,
    _NAMED_WORK_RE,
    _PAIR_RE,
    _PLACE_LEAD_RE,
    _POINTED_UNNAMED_RE,
    _POSSESSIVE_CAPITAL_RE,
    _POSSESSIVE_PRONOUN_RE,
    _POSSESSIVE_WORK_RE,
    _SOURCE_POSSESSIVE_WORK_RE,
    _THING_WORDS_RE,
    _UNNAMED_SOURCE_RE,
    _WORK_BY_RE,
    _WORK_NAME_RE,
    _WORK_NOUNS,
    _WORK_OF_RE,
    _after_attribution,
    _Attribution,
    _attribution_line,
    _before_attribution,
    _inline_attribution,
    _join_attribution,
    _mostly_marked,
    _subject_at_end,
    _wholly_marked,
)
from bot.essays.quotes.machine_text import _BLOCK_CODE_SIGNS, _code_like, _machine_text
from bot.essays.quotes.marks import (
    _MASK_RE,
    _OPENING_MARKS,
    _cap_unclosed,
    _Family,
    _last_sentence,
    _norm,
    _opens_with_mark,
    _other,
    _pair,
    _pair_all,
    _quote_text,
    _sentence_end,
    _sentence_like,
    _sentence_start,
    _Span,
    _strip_wrapping,
    _title_case,
)
from bot.essays.quotes.names import (
    _GROUP_NAME_RE,
    _LEAD_STOP,
    _LY_AFTER_RE,
    _NAME_END_RE,
    _NAME_FULL_RE,
    _NUMBER_WORDS,
    _OUTLET_CUE_RE,
    _PIECE_AFTER_RE,
    _PREPOSITION_BEFORE_RE,
    _ROLE_SET,
    _SIGNED_PIECE_AFTER_RE,
    _TITLES,
    _UP,
    _clean_speaker,
    _genders,
    _is_publication,
    _last_mention,
    _mention_spans,
    _mentions,
    _multiword_names,
    _role_names,
    _same_person,
    _subject_mentions,
    _surnames,
    _title_genders,
)
from bot.essays.quotes.verbs import _NOT_VERBS, _VERB_RE, _finite_verb_like

# Words before the opening mark that make it a scare quote, or a title (not a quote at all).
_SCARE_BEFORE_RE = re.compile(
    r"(?:\bso[- ]called|\bcalled|\bcalls|\bcall|\bdubbed|\btermed|\blabell?ed|\bbranded|\bnicknamed|"
    r"\bnamed|\bknown\s+as|\b(?:name|nickname|term|word)\s+for\s[^:;.]{0,60}:|\bthe\s+(?:word|words|term|phrase|label|slogan|motto|notion\s+of|idea\s+of|"
    r"concept\s+of))\s*[,:]?\s*$",
    re.IGNORECASE,
)

_TITLE_BEFORE_RE = re.compile(
    r"(?:\b(?:titled|entitled|headlined)\s*[,:]?|\b(?:book|essay|article|post|column|op-ed|piece|poem|"
    r"song|album|film|movie|novel|speech|paper|chapter|headline|series|podcast|episode|show|blog|"
    r"newsletter|sermon|lecture|banner|tagline|caption|subject\s+line))\s*$",
    re.IGNORECASE,
)

# "X called it “...”", "described the plan as “...”": a characterisation quoted from X.
# "What the court called “...”" (no object) names a thing, so it stays a scare quote.
_CALLED_RE = re.compile(
    r"\b(?:(?:called|calls|call|calling|branded|brands|branding)\s+(?:it|this|that|them|him|her"
    r"|(?:the|this|that|his|her|their|its)(?:\s+[a-z][\w’'\-]*){1,3})"
    r"|(?:described|describes|describe)(?:\s+(?:it|this|that|them|(?:the|his|her|their|its)\s+[a-z][\w’'\-]*))?"
    r"\s+as)\s*$"
)

_NOUN_SLOT_RE = re.compile(r"\b(?:a|an|the|of|about|its|their|his|her)\s*$", re.IGNORECASE)

_WORK_BEFORE_RE = re.compile(
    r"\b(?:pamphlet|report|study|play|documentary|manifesto|memoir|tract|thesis|album|anthology|collection|"
    r"title|headline|website|site|film|book|essay|article|post|column|piece|poem|song|novel|paper|chapter)"
    r"\s*,?\s*$",
    re.IGNORECASE,
)

_TITLE_FOLLOWS_RE = re.compile(r"^\s*(?:\(|,?\s+by\s+[A-Z])")

_TITLE_AFTER_RE = re.compile(
    r"^\s*(?:blog|post|essay|article|column|op-ed|piece|series|podcast|newsletter|episode)\b", re.IGNORECASE
)

_MAX_PASSAGE_UNITS = 30

# Quotations inside quotations inside quotations are still read (a scare quote in a quoted sentence).
_MAX_NESTING = 2

# Unattributed quoted words shorter than this are scare quotes or coinages; longer ones are
# somebody's words even when that somebody goes unnamed.
_MIN_SPOKEN_WORDS = 4


@dataclass(frozen=True, slots=True)
class _Unit:
    """A block in reading order with the section it belongs to."""

    section: int
    kind: BlockKind
    text: str


@dataclass(slots=True)
class _Found:
    """A quote with where it was found, for reading-order sorting."""

    unit: int
    pos: int
    quote: Quote


@dataclass(slots=True)
class _Ctx:
    """What attribution inside one text may lean on beyond the text itself."""

    section: int
    unit: int
    i_speaker: str | None  # who "I" is
    context_before: str = ""  # earlier text for resolving pronouns (previous paragraph)
    earlier: tuple[str, ...] = ()  # paragraphs before that, nearest first (for lead-ins only)
    intro: str | None = None  # speaker from an introducing "X explains:" line
    carry: str | None = None  # speaker of the quote that ended the previous paragraph
    last_speaker: str | None = None
    nested: bool = False


@dataclass(slots=True)
class _ScanResult:
    found: list[_Found] = field(default_factory=list)
    last_speaker: str | None = None  # speaker of the last attributed quote at this level
    tail_speaker: str | None = None  # the same, when that quote sits in the text's last sentence


# A speaker tag opening a line of an interview: "HB:", "Q:", "WREN:", "Tobias Wren:".
_TAG_RE = re.compile(rf"^(?P<tag>Q|A|[{_UP}]{{2,4}}|[{_UP}][\w’'\-]+(?:\s+[{_UP}][\w’'\-]+)?)\s*:\s+(?=\S)")

_FIRST_PERSON_INTRO_RE = re.compile(
    r"\b(?:I|we)\s+(?:spoke|talked|asked|interviewed|sat\s+down|met)\b|\b(?:my|our)\s+(?:interview|conversation|exchange|chat)\b",
    re.IGNORECASE,
)

# How far back a pronoun in a lead-in may look for its person, and a block quote for an earlier one's speaker.
_LEAD_BACK_UNITS = 4


@dataclass(frozen=True, slots=True)
class _LeadIn:
    """What a lead-in paragraph says about the quotation after it.

    ``decided`` is True when it settles the speaker, even as nobody (the author writing "I sum it up:",
    or a publication); otherwise the caller may fall back on an earlier block quote's speaker.
    """

    speaker: str | None
    decided: bool


def _tag_speaker(tag: str, names: list[str], interviewee: str | None, interviewer: str | None) -> str | None:
    """Who a transcript's tag names: Q is the interviewer, A the person interviewed, initials a full name."""
    if tag == "Q":
        return interviewer
    if tag == "A":
        return interviewee
    for name in names:
        words = [w for w in name.split() if w[0].isupper()]
        initials = "".join(w[0] for w in words)
        if tag == initials or (tag.isupper() and words[-1].upper() == tag):
            return name
        if not tag.isupper() and (tag == name or tag == words[-1]):
            return name
    if tag.isupper() and len(tag) > 4:
        return tag.title()
    return tag


class _EssayScanner:
    """Walks an essay's units once, emitting quotations; remembers units that are borrowed text."""

    def __init__(self, units: list[_Unit], author: str | None, site_name: str | None = None) -> None:
        self.units = units
        self.author = author
        self.found: list[_Found] = []
        self.consumed: set[int] = set()
        self.last_speaker: str | None = None
        self.tail_speaker: dict[int, str] = {}
        self.surnames: frozenset[str] | None = None  # computed on the first pronoun
        self.roles: dict[str, str] | None = None  # computed on the first "the <role>" speaker
        self.last_block: tuple[int, str | None] | None = None  # last unit and speaker of a block quote or passage
        self.genders: dict[str, str] | None = None  # computed on the first "he" or "she"
        self.sites: frozenset[str] | None = None  # computed on the first resolved speaker
        self.works: dict[str, str] | None = None  # computed on the first resolved speaker
        self.actors: frozenset[str] | None = None  # computed on the first lead-in that names nobody
        self.places: frozenset[str] | None = None  # computed on the first "he" or "she"
        self.site_name = site_name
        self.lead_decided = False  # whether the last block quote's lead-in settled its speaker (even as nobody)

    def run(self) -> None:
        index = self._epigraph()
        while index < len(self.units):
            unit = self.units[index]
            if unit.kind == "heading":
                index += 1
            elif unit.kind == "quote" and not _mostly_marked(unit.text):
                index = self._blockquotes(index)
            else:
                index = self._paragraph(index)

    # -- context helpers --

    def _previous_text(self, index: int) -> str:
        if index > 0 and self.units[index - 1].kind != "heading":
            return self.units[index - 1].text
        return ""

    def _intro_speaker(self, index: int) -> str | None:
        """Speaker named by an introducing line ("Writing for X, Y explains:") just before ``index``."""
        previous = self._previous_text(index).rstrip()
        if not previous or previous[-1] not in ":,—–…" or index - 1 in self.consumed:
            return None
        return self._lead_in(index, previous).speaker

    def _block_speaker(self, index: int) -> str | None:
        """The speaker of a block quote or a passage that opens paragraph ``index``.

        The paragraph before it leads in: an attribution ("As Jo Moss put it in 1987:"), the subject
        of its last sentence ("In a recent post, Lee endorses the plan:"), a pronoun or possessive
        resolved back through the essay ("his assessment is stunning:"), or a work that names its
        author ("From a Hakim Bey interview:"). When it names nobody ("Then there is this gem:"), an
        earlier block quote a few paragraphs back keeps its speaker; last, the one person the
        lead-in paragraph names.
        """
        previous = self._previous_text(index).rstrip()
        self.lead_decided = False
        if previous and index - 1 not in self.consumed:
            lead = self._lead_in(index, previous)
            if lead.decided:
                self.lead_decided = True
                return lead.speaker
        carried = self._carried_block_speaker(index)
        if carried is not None:
            return carried
        if previous and index - 1 not in self.consumed and previous[-1] in ":,—–…":
            return self._person(self._named_subject(previous) or self._gendered_subject(previous))
        return None

    def _gendered_subject(self, text: str) -> str | None:
        """The one single-word name a lead-in paragraph makes a subject and the essay calls he or she
        ("Greyhawk is annoyed with us ... on methods:", later "If she wants ..."): a pen name is a person."""
        known = self._known_surnames()
        genders = self._genders()
        names = {
            name
            for name in _subject_mentions(_PAREN_ASIDE_RE.sub(" ", text), known)
            if " " not in name and _gender_of(genders, name) is not None
        }
        return names.pop() if len(names) == 1 else None

    def _named_subject(self, text: str) -> str | None:
        """The last full name in a lead-in that is not after a preposition ("in New Orleans", "at Reason"),
        nor in a parenthetical aside ("this page (Ada Quint is the narrator)")."""
        masked = _PAREN_ASIDE_RE.sub(" ", _MASK_RE.sub(" ", text))
        actors = self._actors()
        for position, name in reversed(_mention_spans(masked, True, frozenset(), multiword=True)):
            preposition = _PREPOSITION_BEFORE_RE.search(masked, max(0, position - 12), position)
            if masked.startswith(("From ", "from "), position) or (
                preposition is not None and preposition.group(0).lower().startswith("from")
            ):
                if _THING_WORDS_RE.search(name):
                    continue  # "an excerpt from Left and Right": a title, not a person
                return name  # "a good question from Jo Moss:": a source
            if preposition is not None:
                continue  # "in New Orleans", "at Reason"
            last = name.split()[-1]
            end = masked.find(last, position) + len(last)
            if masked.startswith(("’s", "'s"), end) or last in actors:
                return name  # "Jo Moss's new book", or a name the essay makes act
        return None

    def _actors(self) -> frozenset[str]:
        """Last words of the names the essay makes the subject of a verb somewhere ("Browne argues", "Moss,
        a judge, wrote"): people and bodies, where a title ("Forty Years Later") or a place never acts."""
        if self.actors is None:
            known = self._known_surnames()
            self.actors = frozenset(
                name.split()[-1]
                for unit in self.units
                if unit.kind != "quote"
                for name in _subject_mentions(unit.text, known)
            )
        return self.actors

    def _carried_block_speaker(self, index: int) -> str | None:
        """The speaker of the block quote or passage just before ``index``, if only commentary separates them."""
        if self.last_block is None:
            return None
        end, speaker = self.last_block
        between = self.units[end + 1 : index]
        if index - end > _LEAD_BACK_UNITS or any(unit.kind == "heading" for unit in between):
            return None
        # A lead-in that introduces a new multi-word name is about someone else.
        # A group ("the 101st Fighting Keyboarders", "Young Republicans") is nobody's new voice.
        names = {n for unit in between for n in _multiword_names(unit.text) if not _PLURAL_GROUP_RE.search(n)}
        if speaker is None or any(not _same_person(name, speaker) for name in names):
            return None
        return speaker

    def _lead_in(self, index: int, previous: str) -> _LeadIn:
        lead = self._lead_in_raw(index, previous)
        return _LeadIn(self._person(lead.speaker), lead.decided) if lead.speaker is not None else lead

    def _lead_in_raw(self, index: int, previous: str) -> _LeadIn:
        sentence = _last_sentence(previous)
        earlier = self._texts_before(index - 1)
        ctx = _Ctx(self.units[index].section, index, self.author, earlier[0] if earlier else "", earlier=earlier[1:])
        if _PLACE_LEAD_RE.match(sentence):
            return _LeadIn(None, True)  # "From the Daily Paul:": a place to read, not a person
        if _POINTED_UNNAMED_RE.search(sentence):
            return _LeadIn(None, True)  # "He refers to a state legislator's clarification:": somebody unnamed
        attribution = _before_attribution(sentence + " ")
        if attribution is not None and attribution.weak and not self._name_like(attribution.raw, sentence):
            attribution = None  # "Use them to comment:", "Looks like X has done it:" name no speaker
        if attribution is not None and attribution.raw.lower() == "it":
            attribution = None  # "Hale's thesis ..., but it holds up:": "it" is the thesis, look further
        if attribution is not None:
            speaker = self._resolve(attribution, previous, ctx)
            # A pronoun with nobody named before it, or "an article that argues", leaves the speaker to what follows.
            open_ended = attribution.pronoun or _UNOWNED_WORK_RE.match(attribution.raw) is not None
            return _LeadIn(speaker, speaker is not None or not open_ended)
        masked = _MASK_RE.sub(" ", sentence)
        first_person = False
        for match in _LEAD_SUBJECT_RE.finditer(masked):
            raw, verb = match.group("subj"), match.group("verb")
            if verb in _NOT_VERBS:
                continue
            pronoun = re.sub(r"[’'].*$", "", raw)
            if pronoun == "I":
                first_person = True
                continue
            if pronoun in ("we", "We"):
                continue  # "we disagree on tactics:": the writer among others, not quoting himself
            if pronoun.lower() in ("he", "she", "they"):
                speaker = self._resolve(
                    _Attribution(pronoun), previous[: len(previous) - len(sentence) + match.start("subj")], ctx
                )
                # "This guy made me think. He wrote:" with nobody named yet: leave it to what follows.
                return _LeadIn(speaker, speaker is not None)
            at_start = not masked[: match.start("subj")].strip()
            raw = re.sub(r"\s+et\s+al\.?$", "", raw)
            if at_start and not self._name_like(raw, masked[match.start("subj") :]):
                continue  # a capitalised first word is usually not a name: "Use them", "Check out"
            if _is_publication(raw):
                return _LeadIn(None, True)  # "The Times had an article:" a publication is never a speaker
            speaker = self._resolve(_Attribution(raw), previous, ctx)
            if speaker is not None:
                return _LeadIn(speaker, True)
        work = _WORK_BY_RE.search(masked) or _WORK_OF_RE.search(masked)
        if (
            work is not None
            and " " not in work.group("name").strip()
            and work.start("name") == 0
            and not self._name_like(re.sub(r"[’']s$", "", work.group("name")), masked)
        ):
            work = None  # "Great post from ...": a capitalised first word, not a name
        if work is not None and not _is_publication(work.group("name")) and not _PAIR_RE.search(work.group("name")):
            # "this quote from Rob Mukai:", "a Hakim Bey interview:" (but "an excerpt from Left and Right:"
            # names a title, and a pair is nobody's one voice)
            speaker = self._person(_clean_speaker(re.sub(r"[’']s$", "", work.group("name"))))
            if speaker is not None:
                return _LeadIn(speaker, True)
        owned = _SOURCE_POSSESSIVE_WORK_RE.search(masked) or _NAMED_WORK_RE.search(masked)
        if owned is not None and (owned.start("name") > 0 or self._name_like(owned.group("name"), masked)):
            # "lacking from Jo Moss's recent analysis of the council:", "And this from the Moss article:"
            speaker = self._person(_clean_speaker(owned.group("name")))
            if speaker is not None:
                return _LeadIn(speaker, True)
        named = _COLON_NAME_END_RE.search(masked)
        if named is not None:
            speaker = self._person(_clean_speaker(named.group("name")))
            if speaker is not None:
                return _LeadIn(speaker, True)  # "... open to the idea: Thomas Krehbiel."
        if first_person or (_FIRST_PERSON_WORK_RE.search(masked) and not _multiword_names(masked)):
            return _LeadIn(self.author, True)  # "I sum my position up:", "Here's my take:" the author quotes himself
        if _UNNAMED_SOURCE_RE.match(sentence):
            return _LeadIn(None, True)  # "From a VT administrator:", "From a journalist:": somebody unnamed
        possessive = _POSSESSIVE_PRONOUN_RE.search(masked)
        if possessive is not None:
            person = possessive.group("word") is not None
            before = previous[: len(previous) - len(sentence) + possessive.start()]
            known = self._known_surnames()
            for text in (before, ctx.context_before, *ctx.earlier):
                name = _last_mention(text, person=person, known=known)
                if name is not None:
                    return _LeadIn(name, True)
        subject = _SUBJECT_PRONOUN_RE.search(masked)
        if subject is not None:
            # "the whoppers she's been slinging, like this one:": he or she is a subject wherever it stands.
            before = previous[: len(previous) - len(sentence) + subject.start()]
            speaker = self._resolve(_Attribution(subject.group(0).lower()), before, ctx)
            if speaker is not None:
                return _LeadIn(speaker, True)
        if _EXCERPT_RE.search(masked):
            # "A great excerpt on how institutions work:": from the work the essay is discussing.
            owner = self._work_owner_before(previous[: len(previous) - len(sentence)], ctx)
            if owner is not None:
                return _LeadIn(owner, True)
        return _LeadIn(None, False)

    def _owner_after(self, index: int) -> str | None:
        """A block quote whose lead-in names nobody, owned in the commentary right after it: "I agree with
        Tucker's thesis", "Moss's argument holds" (within its first sentences)."""
        unit = self.units[index]
        if unit.kind != "paragraph":
            return None
        opening = " ".join(_SENTENCE_SPLIT_RE.split(_MASK_RE.sub(" ", unit.text))[:_OWNER_AFTER_SENTENCES])
        for match in _POSSESSIVE_WORK_RE.finditer(opening):
            if match.start() == 0 and not self._name_like(match.group("name"), opening):
                continue
            speaker = self._person(_clean_speaker(match.group("name")))
            if speaker is not None:
                return speaker
        return None

    def _work_owner_before(self, before: str, ctx: _Ctx) -> str | None:
        """The author of the nearest work named before a lead-in ("Butler Shaffer's Calculated Chaos")."""
        works = self._works()
        for text in (before, ctx.context_before, *ctx.earlier):
            masked = _MASK_RE.sub(" ", text)
            found = [(masked.rfind(work), author) for work, author in works.items() if work in masked]
            found += [(m.start(), m.group("name")) for m in _POSSESSIVE_WORK_RE.finditer(masked)]
            for _, owner in sorted(found, reverse=True):
                speaker = self._person(_clean_speaker(owner))
                if speaker is not None:
                    return speaker
        return None

    def _name_like(self, raw: str, text: str) -> bool:
        """A name even at a sentence start: several words, an acronym, a word the essay capitalises
        mid-sentence, or a word a finite verb follows ("Okafor makes", not "Use them")."""
        word = raw.strip()
        if word.split()[0].lower() in _NUMBER_WORDS:
            return False  # "Four years ago, I made ...": a number, not a name
        if " " in word or (word.isupper() and len(word) > 1) or word in self._known_surnames():
            return True
        following = text.strip()[len(word) :].split()
        return bool(following) and _finite_verb_like(following[0])

    def _texts_before(self, index: int) -> tuple[str, ...]:
        """Up to ``_LEAD_BACK_UNITS`` paragraphs before ``index``, nearest first, for a lead-in's pronouns."""
        texts: list[str] = []
        position = index - 1
        while position >= 0 and len(texts) < _LEAD_BACK_UNITS and self.units[position].kind != "heading":
            if self.units[position].kind != "quote" and position not in self.consumed:
                texts.append(self.units[position].text)  # borrowed text names other people
            position -= 1
        return tuple(texts)

    def _context(self, index: int) -> _Ctx:
        return _Ctx(
            section=self.units[index].section,
            unit=index,
            i_speaker=self.author,
            context_before=self._previous_text(index),
            # Only a paragraph that opens with a mark can be spoken by whoever the line before introduces.
            intro=self._intro_speaker(index) if self.units[index].text[:1] in _OPENING_MARKS else None,
            carry=self.tail_speaker.get(index - 1),
            last_speaker=self.last_speaker,
        )

    def _role_names(self) -> dict[str, str]:
        if self.roles is None:
            self.roles = _role_names([unit.text for unit in self.units if unit.kind != "heading"])
        return self.roles

    def _genders(self) -> dict[str, str]:
        if self.genders is None:
            texts = [unit.text for i, unit in enumerate(self.units) if unit.kind in ("paragraph", "item")]
            # A title ("Mr. Marclay") settles it; then how the essay's own text uses he and she.
            titled = _title_genders([unit.text for unit in self.units])
            self.genders = {**_genders(texts, self._known_surnames()), **titled}
        return self.genders

    def _known_surnames(self) -> frozenset[str]:
        if self.surnames is None:
            self.surnames = _surnames([unit.text for unit in self.units if unit.kind != "heading"])
        return self.surnames

    def _resolve(self, attribution: _Attribution, before: str, ctx: _Ctx) -> str | None:
        return self._person(self._resolve_raw(attribution, before, ctx))

    def _person(self, speaker: str | None) -> str | None:
        """A speaker, or its author when it is a work ("Calculated Chaos" -> "Butler Shaffer"); None for a
        publication, a website, or the blog itself."""
        if speaker is None:
            return None
        works = self._works()
        if works:
            lowered = speaker.lower().removeprefix("the ")
            for work, author in works.items():
                if work.lower().startswith(lowered):
                    return author
        if _is_publication(speaker) or self._is_website(speaker) or self._is_own_site(speaker):
            return None
        return speaker

    def _is_own_site(self, name: str) -> bool:
        if not self.site_name:
            return False
        own = _norm(self.site_name).lower().removeprefix("the ")
        return name.lower().removeprefix("the ") == own

    def _works(self) -> dict[str, str]:
        """Works the essay names, with their authors ("Butler Shaffer's Calculated Chaos")."""
        if self.works is None:
            self.works = {}
            for unit in self.units:
                if unit.kind == "quote" or "s " not in unit.text:
                    continue
                text = _MASK_RE.sub(" ", unit.text)
                # Anchored on the possessive, cheaper than trying a name at every position.
                for hit in _POSSESSIVE_CAPITAL_RE.finditer(text):
                    owner_match = _NAME_END_RE.search(text, max(0, hit.start() - 80), hit.start())
                    work_match = _WORK_NAME_RE.match(text, hit.end())
                    if owner_match is None or work_match is None:
                        continue
                    owner = _clean_speaker(owner_match.group(0))
                    work = work_match.group(0)
                    if owner and " " in owner and not _is_publication(owner) and work.split()[0].lower() not in _TITLES:
                        self.works.setdefault(work, owner)
        return self.works

    def _is_website(self, name: str) -> bool:
        """A name the essay treats as a place to read ("visit Blah3", "over at Catallarchy", "wrote in the
        Clarion", "a Clarion editorial"): a publication or site, not a speaker."""
        if self.sites is None:
            found: set[str] = set()
            for unit in self.units:
                if unit.kind == "quote":
                    continue
                text = " " + unit.text
                for cue in _OUTLET_CUE_RE.finditer(text):
                    site = _NAME_FULL_RE.match(text, cue.end())
                    if site is None or site.group(0).lower() in _LEAD_STOP:  # "wrote in March" names a month
                        continue
                    if cue.group("piece") and not _PIECE_AFTER_RE.match(text, site.end()):
                        continue  # "in the Senate" is no publication; "in a Clarion editorial" is
                    if cue.group("piece") and self._signed_by(site.group(0), text, site.end()):
                        continue  # "from the Suskind article": its writer, unless the essay says "the Suskind"
                    if cue.group("wrote") and _LY_AFTER_RE.match(text, site.end()):
                        continue
                    found.add(site.group(0).lower().removeprefix("the "))
            self.sites = frozenset(found)
        return name.lower().removeprefix("the ") in self.sites

    def _signed_by(self, name: str, text: str, end: int) -> bool:
        """ "the Suskind article" names its writer: one word, no publication's, before a piece a person
        signs, and never "the Suskind" on its own elsewhere in the essay (as a paper is: "the Clarion said")."""
        if " " in name or _is_publication(name) or not _SIGNED_PIECE_AFTER_RE.match(text, end):
            return False
        if not text[:end].rstrip().endswith(f"the {name}"):
            return False  # "in a Clarion piece": a paper's, as "a <writer> piece" is rarely said
        alone = re.compile(rf"\b[Tt]he\s+{re.escape(name)}\b(?!\s+(?:article|piece|op-ed|column)\b)")
        return not any(alone.search(unit.text) for unit in self.units if unit.kind != "quote")

    def _resolve_raw(self, attribution: _Attribution, before: str, ctx: _Ctx) -> str | None:
        raw = attribution.raw
        if not attribution.pronoun:
            speaker = _clean_speaker(raw)
            if speaker is not None and speaker.startswith("the ") and speaker[4:5].islower():
                role = speaker.split()[-1].lower()
                if role not in _ROLE_SET:
                    return None  # "the rule", "the report": nobody
                return self._role_names().get(role)  # "the governor" -> his name
            return speaker
        lowered = raw.lower()
        if lowered in ("i", "me", "myself"):
            return ctx.i_speaker
        if lowered not in ("he", "she", "they"):
            return None  # "it"/"we" are too vague to resolve
        if lowered == "they" and ctx.nested:
            return None  # inside borrowed text "they" are a group the text speaks of
        person = lowered != "they"
        known = self._known_surnames()
        gender = {"he": "m", "she": "f"}.get(lowered)
        if gender is not None:
            before = _chain_start(before, lowered, known)
        # Nearest text first; the first one that names somebody fitting decides.
        for text in (before, ctx.context_before, *ctx.earlier):
            candidates = list(reversed(_mentions(text, person=person, known=known)))
            if gender is not None and candidates:
                genders = self._genders()
                # The essay's own "she" for a name beats a nearer name it never calls "she" ("Republicans");
                # otherwise a name that was a clause's subject beats one after a preposition ("paths to God").
                # A plural group ("Democrats") is never he or she.
                candidates = [name for name in candidates if not _GROUP_NAME_RE.search(name)]
                known_gender = [name for name in candidates if _gender_of(genders, name) == gender]
                fitting = [name for name in candidates if _gender_of(genders, name) in (gender, None)]
                # One word the essay only ever names as a place ("the people of Iraq", "in Ohio") is nobody.
                places = self._places()
                fitting = [name for name in fitting if name in known_gender or name not in places]
                subjects = _subject_mentions(text, known)
                # Then a name not after a preposition ("counties in Virginia" is a place).
                free = [name for name in fitting if name not in self._objects(text, known)]
                candidates = known_gender or [name for name in fitting if name in subjects] or free or fitting
            if candidates:
                return candidates[0]
        return None if ctx.nested else ctx.last_speaker

    def _places(self) -> frozenset[str]:
        """One-word names the essay's own text mentions only after "in", "at", "on" or "of": places and things."""
        if self.places is None:
            known = self._known_surnames()
            after: set[str] = set()
            free: set[str] = set()
            for unit in self.units:
                if unit.kind == "quote":
                    continue
                masked = _MASK_RE.sub(" ", unit.text)
                for position, name in _mention_spans(masked, True, known):
                    if " " in name:
                        continue
                    if _PLACE_PREPOSITION_BEFORE_RE.search(masked, max(0, position - 12), position):
                        after.add(name)
                    else:
                        free.add(name)
            self.places = frozenset(after - free)
        return self.places

    def _objects(self, text: str, known: frozenset[str]) -> set[str]:
        """Names a text only mentions after a preposition ("in Virginia", "to Rome")."""
        masked = _MASK_RE.sub(" ", text)
        after: set[str] = set()
        free: set[str] = set()
        for position, name in _mention_spans(masked, True, known):
            if _PREPOSITION_BEFORE_RE.search(masked, max(0, position - 12), position):
                after.add(name)
            else:
                free.add(name)
        return after - free

    def _emit(self, unit: int, pos: int, text: str, kind: QuoteKind, section: int, speaker: str | None) -> None:
        if not text:
            return
        self.found.append(_Found(unit, pos, Quote(text=text, kind=kind, section=section, speaker=speaker)))
        if kind == "direct" and speaker is not None:
            self.last_speaker = speaker

    # -- epigraph --

    def _epigraph(self) -> int:
        """Detect an opening quotation with an attribution line; return the first unit after it."""
        first = next((i for i, u in enumerate(self.units) if u.kind != "heading"), None)
        if first is None:
            return 0
        parts: list[str] = []
        marked = True  # every part so far is a blockquote or wrapped in marks
        for index in range(first, min(first + 5, len(self.units))):
            unit = self.units[index]
            quote_like = _quote_like(unit)
            inline = _inline_attribution(unit.text) if quote_like else None
            if inline is not None and not parts:
                return self._emit_epigraph(first, index, [inline[0]], inline[1])
            if parts:
                # "Name, 1963" needs a marked quotation above it; a dash line is enough on its own.
                line_speaker = _attribution_line(unit.text, after_quote=marked)
                if line_speaker is not None:
                    return self._emit_epigraph(first, index, parts, line_speaker)
            # An unmarked paragraph may be an epigraph only on its own, right above a dash line.
            if unit.kind == "heading" or (parts and not (marked and quote_like)):
                break
            if not quote_like and len(unit.text.split()) > 60:
                break
            marked = marked and quote_like
            parts.append(_strip_wrapping(unit.text))
        return first

    def _emit_epigraph(self, first: int, last: int, parts: list[str], speaker: str) -> int:
        text = "\n\n".join(_norm(p) for p in parts if p.strip())
        self._emit(first, 0, text, "epigraph", self.units[first].section, speaker)
        self.consumed.update(range(first, last + 1))
        return last + 1

    # -- blockquotes without marks --

    def _blockquotes(self, index: int) -> int:
        start = index
        end = index
        while end < len(self.units) and self.units[end].kind == "quote":
            end += 1
        if _code_like(self.units[start].text, _BLOCK_CODE_SIGNS):
            # A program listing set as a block quote: nobody's words.
            while index < end and _code_like(self.units[index].text, _BLOCK_CODE_SIGNS):
                index += 1
            self.consumed.update(range(start, index))
            return index
        tags = [self._speaker_tag(self.units[i].text) for i in range(start, end)]
        if tags[0] is not None and sum(tag is not None for tag in tags) >= 2:
            return self._interview(start, end, tags)
        parts: list[str] = []
        while index < end:
            text = self.units[index].text
            if parts and _wholly_marked(text):
                break
            parts.append(text)
            index += 1
        speaker = self._block_speaker(start)
        inline = _inline_attribution(parts[-1])
        if inline is not None:
            parts[-1], inline_speaker = inline
            speaker = speaker or inline_speaker
        if index < len(self.units):
            line_speaker = _attribution_line(self.units[index].text, after_quote=True)
            if line_speaker is not None:
                speaker = speaker or line_speaker
                self.consumed.add(index)
                index += 1
        if speaker is None and not self.lead_decided and index < len(self.units):
            speaker = self._owner_after(index)
        section = self.units[start].section
        self._emit(start, 0, "\n\n".join(_norm(p) for p in parts), "direct", section, speaker)
        self._nested_in_parts(start, parts, "double", speaker)
        self.consumed.update(range(start, index))
        self.last_block = (index - 1, speaker)
        return index

    # -- interviews --

    def _speaker_tag(self, text: str) -> re.Match[str] | None:
        """ "HB: ...", "Q: ...", "WREN: ...": a speaker tag, not a label such as "Result: ..."."""
        match = _TAG_RE.match(text)
        if match is None:
            return None
        tag = match.group("tag")
        if tag in ("Q", "A") or tag.isupper():
            return match
        known = self._known_surnames()
        return match if tag in known or tag.split()[-1] in known else None

    def _interview(self, start: int, end: int, tags: list[re.Match[str] | None]) -> int:
        """A transcript in a block quote: each turn is its own quotation, by the speaker its tag names."""
        interviewee = self._block_speaker(start)
        previous = self._previous_text(start)
        interviewer = self.author if _FIRST_PERSON_INTRO_RE.search(previous) else None
        names = [name for unit in self.units if unit.kind != "heading" for name in _multiword_names(unit.text)]
        turns: list[tuple[int, str | None, list[str]]] = []
        for offset, tag in enumerate(tags):
            unit = start + offset
            text = self.units[unit].text
            if tag is not None:
                speaker = _tag_speaker(tag.group("tag"), names, interviewee, interviewer)
                turns.append((unit, speaker, [text[tag.end() :]]))
            elif turns:
                turns[-1][2].append(text)
            else:
                turns.append((unit, interviewee, [text]))
        for unit, speaker, parts in turns:
            self._emit(unit, 0, "\n\n".join(_norm(p) for p in parts), "direct", self.units[unit].section, speaker)
            self._nested_in_parts(unit, parts, "double", speaker)
        self.consumed.update(range(start, end))
        self.last_block = (end - 1, interviewee)
        return end

    def _nested_in_parts(self, start: int, parts: list[str], family: _Family, speaker: str | None) -> None:
        """Quotations inside borrowed text, attributed from within it (never to its writer)."""
        context_before = ""
        for offset, part in enumerate(parts):
            unit = min(start + offset, len(self.units) - 1)
            ctx = _Ctx(self.units[unit].section, unit, speaker, context_before, nested=True)
            result = self._scan(part, family, ctx, base=1, depth=1)
            self.found.extend(result.found)
            context_before = part

    # -- paragraphs --

    def _paragraph(self, index: int) -> int:
        unit = self.units[index]
        spans, trailing, family = _pair_all(unit.text)
        ctx = self._context(index)
        if trailing is not None and self._continues(index + 1, family):
            closed = [s for s in spans if s.stop <= trailing]
            result = self._scan_spans(unit.text, closed, family, ctx, depth=0)
            self._collect(result)
            return self._passage(index, trailing, family, ctx, result.last_speaker)
        if trailing is not None:
            capped = _cap_unclosed(unit.text, trailing)
            if capped is not None:
                spans.append(capped)
        result = self._scan_spans(unit.text, spans, family, ctx, depth=0)
        self._collect(result)
        if result.tail_speaker is not None:
            self.tail_speaker[index] = result.tail_speaker
        return index + 1

    def _collect(self, result: _ScanResult) -> None:
        self.found.extend(result.found)
        if result.last_speaker is not None:
            self.last_speaker = result.last_speaker

    def _continues(self, index: int, family: _Family) -> bool:
        return (
            index < len(self.units)
            and self.units[index].kind != "heading"
            and _opens_with_mark(self.units[index].text, family)
        )

    def _passage(self, index: int, opening: int, family: _Family, ctx: _Ctx, carry: str | None) -> int:
        """A quotation running over paragraphs that each open with a mark; only the last closes."""
        first = self.units[index].text
        parts = [first[opening + 1 :]]
        before = first[_sentence_start(first, 0, opening) : opening]
        last = index
        after = ""
        rest: list[_Span] = []
        position = index + 1
        while self._continues(position, family) and position - index <= _MAX_PASSAGE_UNITS:
            text = self.units[position].text
            spans, trailing = _pair(text, family, straight_singles=False)
            last = position
            lead = spans[0] if spans and spans[0].start == 0 and trailing != 0 else None
            if lead is None:
                parts.append(text[1:])
                position += 1
                continue
            parts.append(text[1 : lead.inner_end])
            after = text[lead.stop :]
            rest = spans[1:]
            break
        speaker = self._passage_speaker(index, before, after, ctx, carry)
        self.last_block = (last, speaker)
        self._emit(index, opening, "\n\n".join(_quote_text(p) for p in parts), "direct", ctx.section, speaker)
        self._nested_in_parts(index, parts, _other(family), speaker)
        self.consumed.update(range(index, last + 1))
        if rest:
            text = self.units[last].text
            result = self._scan_spans(text, rest, family, self._context(last), depth=0)
            self._collect(result)
        return last + 1

    def _passage_speaker(self, index: int, before: str, after: str, ctx: _Ctx, carry: str | None) -> str | None:
        attribution = _before_attribution(before)
        if attribution is None and after:
            found = _after_attribution(after)
            attribution = found[0] if found else None
        if attribution is not None:
            return self._resolve(attribution, before, ctx)
        if not before.strip():
            return self._block_speaker(index) or carry
        return carry

    # -- spans in one text --

    def _scan(self, text: str, family: _Family, ctx: _Ctx, *, base: int, depth: int) -> _ScanResult:
        spans, trailing, family = _pair_all(text)
        if trailing is not None:
            capped = _cap_unclosed(text, trailing)
            if capped is not None:
                spans.append(capped)
        result = self._scan_spans(text, spans, family, ctx, depth=depth)
        for item in result.found:
            item.pos += base
        return result

    def _scan_spans(self, text: str, spans: list[_Span], family: _Family, ctx: _Ctx, *, depth: int) -> _ScanResult:
        result = _ScanResult()
        if spans and _code_like(text):
            return result
        previous_speaker: str | None = None
        previous_stop = 0
        k = 0
        while k < len(spans):
            span = spans[k]
            sentence_start = _sentence_start(text, previous_stop, span.start)
            before = text[sentence_start : span.start]
            inner = text[span.inner_start : span.inner_end]
            last = span
            joined: tuple[_Attribution, int] | None = None
            if k + 1 < len(spans) and span.closed:
                joined = _join_attribution(text[span.stop : spans[k + 1].start], inner)
            if joined is not None:
                k += 1
                last = spans[k]
                inner = _quote_text(inner) + " " + text[last.inner_start : last.inner_end]
            limit = spans[k + 1].start if k + 1 < len(spans) else len(text)
            after = text[last.stop : _sentence_end(text, last.stop, limit)]
            kind, speaker = self._classify(text, span, inner, before, after, joined, ctx, previous_speaker)
            k += 1
            previous_stop = last.stop
            if kind is None:
                continue
            quote_text = _quote_text(inner) if kind != "scare" else _quote_text(inner).rstrip(".!?…")
            result.found.append(
                _Found(
                    ctx.unit,
                    span.start,
                    Quote(quote_text, kind, ctx.section, speaker if kind == "direct" else None),
                )
            )
            if kind == "direct" and speaker is not None:
                previous_speaker = result.last_speaker = speaker
            in_last_sentence = _sentence_end(text, last.stop, len(text)) >= len(text.rstrip())
            result.tail_speaker = speaker if kind == "direct" and in_last_sentence else None
            if kind == "direct" and depth < _MAX_NESTING:
                nested_ctx = _Ctx(ctx.section, ctx.unit, speaker, nested=True)
                nested = self._scan(inner, _other(family), nested_ctx, base=span.start + 1, depth=depth + 1)
                result.found.extend(nested.found)
        return result

    def _classify(
        self,
        text: str,
        span: _Span,
        inner: str,
        before: str,
        after: str,
        joined: tuple[_Attribution, int] | None,
        ctx: _Ctx,
        previous_speaker: str | None,
    ) -> tuple[QuoteKind | None, str | None]:
        """The kind of one quotation (None to drop a title) and its speaker."""
        tail = before[-40:]
        quote = _quote_text(inner)
        words = len(quote.split())
        if _TITLE_BEFORE_RE.search(tail) or _TITLE_AFTER_RE.match(after):
            return None, None
        if _machine_text(quote, text[max(0, span.start - 2) : span.start], text[span.stop : span.stop + 2]):
            return None, None
        if _title_case(quote):
            # "The Penny Societies" (Calder & Voss, 2024): a title; a capitalised coinage ("War on
            # Terror", "Bridge to Nowhere") with nothing around it saying so is a scare quote.
            titled = _TITLE_FOLLOWS_RE.match(after) or _WORK_BEFORE_RE.search(tail)
            return (None, None) if titled else ("scare", None)
        called = _CALLED_RE.search(before)
        if called is not None and words >= _MIN_SPOKEN_WORDS:
            # "Lenahan called it “an emergency that threatens...”": a person's words, not a coinage.
            subject = _subject_at_end(before[: called.start()])
            speaker = self._resolve(_Attribution(subject), text[: span.start], ctx) if subject else None
            return "direct", speaker
        if _SCARE_BEFORE_RE.search(tail):
            return "scare", None
        attribution = joined[0] if joined else None
        # '...game." The team says': a new sentence after the closing mark attributes nothing.
        new_sentence = quote.endswith(".") and after.lstrip()[:1].isupper()
        if attribution is None and not new_sentence:
            found = _after_attribution(after)
            attribution = found[0] if found else None
        noun_slot = words < _MIN_SPOKEN_WORDS and _NOUN_SLOT_RE.search(tail) is not None
        if attribution is None and not noun_slot:
            # 'warned of a “crisis”': a word or two in a noun's place is a scare quote, not speech.
            attribution = _before_attribution(before)
        if attribution is not None and attribution.far and words < _MIN_SPOKEN_WORDS:
            attribution = None  # "If Matt writes a post, the comment is in “his” space": a scare quote
        if (
            attribution is not None
            and joined is None
            and words < _MIN_SPOKEN_WORDS
            and quote[:1].islower()
            and _after_attribution(after) is None
            and (not quote.endswith((".", "!", "?", "…")) or _verb_far_before(before))
        ):
            # A lowercase word or two after a verb with its own business ("start saying “no”", "justify them
            # as “the natural order”", "admit those ... resistant to “private property.”"): a term in use, not
            # anybody's words. A stop inside the marks is an utterance's end only right after its verb.
            attribution = None
        if attribution is not None and attribution.weak and not _sentence_like(_quote_text(inner)):
            attribution = None  # "Riders have a name for the boats: “the waiting rooms.”"
        if attribution is not None:
            return "direct", self._resolve(attribution, text[: span.start], ctx)
        if previous_speaker is not None and (_COORDINATED_VERB_RE.match(before) or _COORDINATED_THAT_RE.match(before)):
            return "direct", previous_speaker  # '..." and warned, "...', 'that "..." and that "..."'
        # A quotation that lost its closing mark is no scare quote unless it is very short.
        sentence_like = _sentence_like(quote) or (not span.closed and words >= 5)
        if sentence_like and not before.strip():
            if span.start == 0 and ctx.intro is not None:
                return "direct", ctx.intro
            if previous_speaker is not None:
                return "direct", previous_speaker
            if span.start == 0 and ctx.carry is not None:
                return "direct", ctx.carry
        if not sentence_like and words < _MIN_SPOKEN_WORDS:
            return "scare", None  # "crisis", "zombie words": too short to be anyone's words
        return "direct", None


# How far into the commentary after a block quote its owner may be named ("I agree with Tucker's thesis").
_OWNER_AFTER_SENTENCES = 2
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")

# Prepositions of place: a one-word name only ever after them is a place or a thing, never he or she.
_PLACE_PREPOSITION_BEFORE_RE = re.compile(r"\b(?:in|at|on|of)\s+(?:the\s+)?$", re.IGNORECASE)

# A parenthetical aside: what it names is no subject of the sentence around it.
_PAREN_ASIDE_RE = re.compile(r"\([^()]*\)")

# A multi-word name ending in a plural of people: a group, not a person.
_PLURAL_GROUP_RE = re.compile(r"[a-z](?:ers|ans|ists|ites|ats)$")

# "an article that argues", "a column": a work nobody is named for yet.
_UNOWNED_WORK_RE = re.compile(rf"(?:[Aa]n?|[Aa]nother)\s+(?:[a-z]+\s+)?(?:{_WORK_NOUNS})\b")

# He or she, wherever it stands, is a clause's subject.
_SUBJECT_PRONOUN_RE = re.compile(r"(?<![\w’'])(?:[Hh]e|[Ss]he)(?![\w])")

# A lead-in pointing to part of a work without naming whose: "A great excerpt on ...:", "this passage:".
_EXCERPT_RE = re.compile(
    r"\b(?:[Aa]n?|[Tt]his|[Tt]hat|[Oo]ne|[Aa]nother)\s+(?:[a-z]+\s+){0,2}(?:excerpt|passage|snippet)\b"
)


def _gender_of(genders: dict[str, str], name: str) -> str | None:
    """A name's gender, or its surname's ("Christian Marclay" is the essay's "Mr. Marclay")."""
    return genders.get(name) or (genders.get(name.split()[-1]) if " " in name else None)


def _chain_start(before: str, pronoun: str, known: frozenset[str]) -> str:
    """The text before a run of the same pronoun: "Reyes blogs. He writes about the case of Amos Leigh,
    and he explains": the second "he" is whoever the first one was, unless a new subject came between."""
    first = re.search(rf"(?<![\w’'])[{pronoun[0]}{pronoun[0].upper()}]{pronoun[1:]}(?![\w’'])", before)
    if first is None or _subject_mentions(before[first.end() :], known):
        return before
    return before[: first.start()]


def _quote_like(unit: _Unit) -> bool:
    """A block that is wholly a quotation: a blockquote, or a paragraph wrapped in marks."""
    return unit.kind == "quote" or _wholly_marked(unit.text)


def _verb_far_before(before: str) -> bool:
    """More than a couple of words between the last verb of saying and the quotation ("admit those whose
    concern makes them resistant to “...”"), not "said “...”" or "said that “...”"."""
    verbs = list(_VERB_RE.finditer(before))
    if not verbs:
        return False  # attributed without a verb ("According to Doe, the plan is “dead on arrival.”")
    words = [word for word in before[verbs[-1].end() :].split() if word not in ("that", "it", "is", "was", ":")]
    return len(words) > 2
