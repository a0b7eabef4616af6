"""The attribution grammar: who a sentence makes the speaker of a quotation (the subject of a verb of
saying before or after it, an appositive, "according to", a citation), who a lead-in paragraph
introduces, and the attribution lines under epigraphs and block quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.essays.quotes.marks import (
    _DOUBLE_RE,
    _MOSTLY_QUOTED,
    _family_for,
    _is_abbreviation,
    _opens_with_mark,
    _pair,
    _pair_all,
    _strip_wrapping,
)
from bot.essays.quotes.names import (
    _CAP,
    _COMMON_NP_RE,
    _DET,
    _ET_AL_RE,
    _GROUP_END_RE,
    _GROUP_FULL_RE,
    _GROUPS,
    _LEAD_STOP,
    _NAME_END_RE,
    _NAME_FULL_RE,
    _NAME_SEQ,
    _NP_END_RE,
    _PARTICLE,
    _PRON_END_RE,
    _PRONOUN_RE,
    _ROLE_OF_RE,
    _THE_BEFORE_RE,
    _TRAIL_ADV_RE,
    _TRAIL_LY_RE,
    _TRAIL_PAREN_RE,
    _UP,
    _clean_speaker,
    _is_publication,
)
from bot.essays.quotes.verbs import _LEMMA_SET, _VERB, _VERB_RE, _VERB_SET, _finite_verb_like

_SUBJ = (
    rf"(?:(?:[Hh]e|[Ss]he|[Tt]hey|[Ii]t|I|[Ww]e)(?![\w’'\-])"
    rf"|{_NAME_SEQ}(?:[’']s\s+[a-z]+)?"
    rf"|(?:[a-z]+\s+){{1,3}}{_NAME_SEQ}"  # painter Theo Lindqvist
    rf"|{_DET}\s+[\w’'\-]+(?:\s+(?!(?:in|on|at|during|last|this|after|before|when|while|to|"
    r"about|and|that|who|which|with|via)\b)[\w’'\-]+){0,6}"
    rf"|(?:[a-z]+\s+)?(?:{_GROUPS}))"
)

_ADV = r"(?:(?:has|have|had|would|also|later|then|once|again|since|[a-z]+ly)\s+){0,2}"

_ADV_WORDS = r"(?:(?:also|then|later|further|instead|similarly|[a-z]+ly)\s+){0,2}"

# After the closing mark: ', Jane Doe, the director of X, said' / ', she added'.
_AFTER_SUBJ_VERB_RE = re.compile(
    rf"^[\s,—–\-]*(?P<subj>{_SUBJ})(?:\s*\([^()]*\))?(?:\s*,(?P<appos>[^,\"“”]{{1,150}}),)?"
    rf"(?:\s+(?P<appos2>[^,\"“”]{{1,150}}),)?\s+{_ADV}{_VERB}(?![\w’'\-])"
)

# After the closing mark, inverted: ', said Jane Doe' / ', writes the court'.
_AFTER_VERB_SUBJ_RE = re.compile(rf"^[\s,—–\-]*{_VERB}\s+(?P<subj>{_SUBJ})")

_AFTER_ACCORDING_RE = re.compile(rf"^[\s,—–\-]*according\s+to\s+(?P<subj>{_SUBJ})")

_BEFORE_ACCORDING_RE = re.compile(
    r"(?:^|\s)(?:[Aa]ccording\s+to|[Ii]n\s+the\s+(?:[a-z]+\s+){0,2}words\s+of|[Tt]o\s+(?:quote|paraphrase|cite)"
    r"|[Qq]uoting|[Pp]araphrasing|[Cc]iting)\s+(?P<subj>[^,;]+?)\s*(?:,|:|\s+that\b|$)"
)

# An academic citation as a subject: "Braddock et al. (2018) find that", "Okafor et al. 2013, which finds",
# "Lindqvist and Moore (2016) find", "Ng et al. 2020, which tracked 2,400 households, concludes that".
_CITATION_RE = re.compile(
    rf"(?<![\w’'\-])(?P<subj>{_CAP}(?:\s+(?:and|&)\s+{_CAP})?)(?:\s+et\s+al\.?)?,?\s*\(?(?:1[6-9]|20)\d\d[a-z]?\)?"
    rf"(?:\s*,\s*(?:which|who|whose)\b[^“”\"‘’;]{{0,160}}?,?)?\s+(?:{_ADV_WORDS})?(?:{_VERB})(?![\w’'\-])"
)

# A sentence that opens with a named subject (an appositive allowed) and a speech verb.
_OPENING_SPEAKER_RE = re.compile(
    rf"^\s*(?:[A-Z][a-z]+,\s+)?(?P<subj>{_NAME_SEQ})(?:\s*\([^()]{{0,160}}\))?(?:\s*,[^,\"“”‘’]{{1,90}},)?\s+{_ADV}{_VERB}(?![\w’'\-])"
)

_OPENING_TAIL_WORDS = 40

_YEAR_DIGITS_RE = re.compile(r"(?:1[6-9]|20)\d\d")

_BEFORE_WORDS_RE = re.compile(rf"(?:^|\s)[Ii]n\s+(?P<subj>{_NAME_SEQ})[’']s\s+words\s*,?\s*$")

# "Balko:", "Again, Balko:": a name alone before a colon.
_BEFORE_COLON_RE = re.compile(rf"^\s*(?:[A-Z][a-z]+,\s+)?(?P<subj>{_NAME_SEQ})\s*:\s*$")

_COLON_INTRO_RE = re.compile(
    rf"^\s*(?P<subj>[Hh]e|[Ss]he|[Tt]hey|{_NAME_SEQ})(?:\s*,[^,\"“”:;]{{1,90}},)?\s+[a-z][^\"“”:;]{{0,100}}:\s*$"
)

_BEFORE_INVERTED_RE = re.compile(rf"^\s*(?i:{_VERB})\s+(?P<subj>{_NAME_SEQ})\s*[:,]?\s*$")

# A verb sharing the subject of the quote before it: '"..." and warned, "..."'.
# '... was that “...” and that “...”': a second content clause of the same verb of saying, the same speaker.
_COORDINATED_THAT_RE = re.compile(r"^[\s,]*(?:and|or|but)\s+(?:also\s+)?that\s*$")

_COORDINATED_VERB_RE = re.compile(rf"^[\s,]*(?:and|but|then|before)\s+{_ADV}{_VERB}(?![\w’'\-])[^\"“”]*$")

_SOURCE_PREFIX_RE = re.compile(
    r"^(?:a|an|the|her|his|their|its)\s+(?:\w+\s+)?(?:report|statement|memo|letter|filing|post|tweet|"
    r"ruling|study|analysis|opinion|email|press release)\s+(?:by|from|of)\s+",
    re.IGNORECASE,
)

_DETERMINER_BEFORE_RE = re.compile(
    r"(?:^|\s)(?:[Aa]n?|[Tt]he|[Tt]his|[Tt]hat|[Hh]is|[Hh]er|[Tt]heir|[Ii]ts|[Mm]y|[Oo]ur|[Yy]our)\s+(?:[a-z]+\s+)?$"
)

_LOOSE_TAIL_RE = re.compile(r",\s*(?:and|but|while|so|yet)\b|;|\sbut\s")


# The subject that opens a sentence and the finite verb after it: "She stressed", "Later Ana Ruiz thanked".
_MAIN_SUBJECT_RE = re.compile(
    rf"^\s*(?:(?:[Bb]ut|[Aa]nd|[Ss]o|[Tt]hen|[Ll]ater|[Nn]ow)\s+)?(?P<subj>(?:[Hh]e|[Ss]he|[Tt]hey|I|[Ww]e)"
    rf"(?![\w’'\-])|{_NAME_SEQ})\s+(?P<verb>[a-z]+)\b"
)


def _main_subject(text: str) -> str | None:
    """The subject of the clause a participle after a comma hangs on ("She stressed her regret, telling
    us ..."): a pronoun or a name opening the sentence, with a finite verb after it."""
    match = _MAIN_SUBJECT_RE.match(text)
    if match is None or not _finite_verb_like(match.group("verb")):
        return None
    return match.group("subj")


def _subject_at_end(text: str) -> str | None:
    """The raw subject phrase that ends ``text`` (a pronoun, a name, or a noun phrase)."""
    text = _TRAIL_PAREN_RE.sub("", text[-240:]).rstrip()
    text = _ET_AL_RE.sub("", text).rstrip()
    text = _TRAIL_ADV_RE.sub("", text).rstrip()
    subject = _subject_with_appositive(text)
    if subject is None and _TRAIL_LY_RE.search(text):
        subject = _subject_with_appositive(_TRAIL_LY_RE.sub("", text).rstrip())
    return subject


def _subject_with_appositive(text: str) -> str | None:
    """'Doe, the chief economist at Brightline,' -> 'Doe'; 'Its treasurer, Sam Ito,' -> 'Sam Ito'."""
    if not text.endswith((",", "—", "–")):
        return _subject_phrase_at_end(text)
    text = re.sub(r"\s*[—–]\s*", ", ", text)
    for _ in range(2):
        head, _, chunk = text.rstrip(" ,").rpartition(",")
        if not head:
            return None
        subject = _subject_phrase_at_end(head.rstrip())
        named = _NAME_FULL_RE.fullmatch(chunk.strip()) is not None
        if named and " " in chunk.strip() and _ROLE_OF_RE.search(head):
            return chunk.strip()  # "The chair of the state Republican Party, Ted Halvorsen," -> the person
        if subject and not (named and _COMMON_NP_RE.match(subject)):
            return subject
        if named:
            return chunk.strip()  # "A spokesperson, Lena Cho," -> "Lena Cho"
        text = head.rstrip()
    return None


_OF_BEFORE_RE = re.compile(r"[a-z]{3,}\s+(?:of|about|on)\s+(?:the\s+)?$")


def _subject_phrase_at_end(text: str) -> str | None:
    pronoun = _PRON_END_RE.search(text)
    if pronoun:
        return pronoun.group(0)
    name = _NAME_END_RE.search(text)
    phrase = _NP_END_RE.search(text)
    if name:
        if phrase and phrase.start() < name.start() and phrase.group(0)[0] in "aA":
            return phrase.group(0)  # a spokesperson for the Department of Justice
        if _OF_BEFORE_RE.search(text, 0, name.start()):
            # "The BBC's country profile of Somalia": the name completes a noun, it is not the subject
            return phrase.group(0) if phrase else None
        if _THE_BEFORE_RE.search(text, 0, name.start()):
            return "the " + name.group(0)
        return name.group(0)
    group = _GROUP_END_RE.search(text)
    if group and (phrase is None or group.start() < phrase.start()):
        return group.group(0)  # "Critics of the plan", not "the plan"
    return phrase.group(0) if phrase else None


@dataclass(frozen=True, slots=True)
class _Attribution:
    raw: str  # the subject as written: a name, a phrase or a pronoun
    weak: bool = False  # only a "Name ...:" lead-in, no attribution verb
    far: bool = False  # the sentence's own subject, far from the quotation: only for several words

    @property
    def pronoun(self) -> bool:
        return _PRONOUN_RE.fullmatch(self.raw) is not None


def _after_attribution(after: str) -> tuple[_Attribution, int] | None:
    """Attribution at the start of the text after a closing mark, and where it ends."""
    for pattern in (_AFTER_ACCORDING_RE, _AFTER_VERB_SUBJ_RE, _AFTER_SUBJ_VERB_RE):
        match = pattern.match(after)
        if match:
            raw = _SOURCE_PREFIX_RE.sub("", match.group("subj"))
            groups = match.groupdict()
            for appositive in (groups.get("appos"), groups.get("appos2")):
                if appositive and _COMMON_NP_RE.match(raw) and _NAME_FULL_RE.fullmatch(appositive.strip()):
                    # "the institute’s director, Sam Ito, wrote", "one of them, Rick Blanchard, a former
                    # trooper, wrote": the person the appositive names
                    raw = appositive.strip()
                    break
            return _Attribution(raw), match.end()
    return None


def _before_attribution(before: str) -> _Attribution | None:
    """Attribution in the part of a sentence before an opening mark."""
    if not before.strip():
        return None
    for pattern in (_BEFORE_INVERTED_RE, _BEFORE_WORDS_RE, _BEFORE_COLON_RE):
        match = pattern.search(before)
        if match:
            return _Attribution(match.group("subj"))
    according = _BEFORE_ACCORDING_RE.search(before)
    if according:
        subject = _subject_phrase_at_end(_SOURCE_PREFIX_RE.sub("", according.group("subj")))
        if subject:
            return _Attribution(subject)
    citations = _CITATION_RE.finditer(before) if _YEAR_DIGITS_RE.search(before) else ()
    for citation in reversed(list(citations)):
        tail = before[citation.end() :]
        if len(tail.split()) <= 14 and not _LOOSE_TAIL_RE.search(tail):
            return _Attribution(citation.group("subj"))
    verbs = list(_VERB_RE.finditer(before))
    for verb in reversed(verbs):
        tail = before[verb.end() :]
        if len(tail.split()) > 14 or _LOOSE_TAIL_RE.search(tail):
            continue
        if verb.group(0) in _LEMMA_SET and _DETERMINER_BEFORE_RE.search(before, 0, verb.start()):
            continue  # "a thoughtful reply", "their answer": a noun, not a verb of saying
        subject = _subject_at_end(before[: verb.start()])
        if not subject and verb.group(0).endswith("ing") and before[: verb.start()].rstrip().endswith(","):
            subject = _main_subject(before[: verb.start()])  # "She thanked us, telling us that ...": hers
        if subject:
            return _Attribution(_SOURCE_PREFIX_RE.sub("", subject))
    opening = _OPENING_SPEAKER_RE.match(before) if verbs and before.lstrip()[:1].isupper() else None
    if (
        opening is not None
        and len(before[opening.end() :].split()) <= _OPENING_TAIL_WORDS
        and _PRONOUN_RE.fullmatch(opening.group("subj")) is None
    ):
        # "Lorraine Vidal, Merrow's attorney general, describes a system so clogged that ... “…”":
        # the sentence's own subject and speech verb reach a quotation further along it.
        return _Attribution(opening.group("subj"), far=True)
    intro = _COLON_INTRO_RE.match(before)
    if intro and (
        intro.group("subj").lower() in ("he", "she", "they")
        or (not _GROUP_FULL_RE.fullmatch(intro.group("subj")) and _clean_speaker(intro.group("subj")))
    ):
        return _Attribution(intro.group("subj"), weak=True)  # "Amaro was blunter on social media: "
    return None


# A clause's subject and the word after it: "Over at X, Jo Goff makes", "but she probably ignored",
# "Phil Wilayto of the Antiwar Network presents", "Rosa Diaz, the county's lawyer, argues".
_CLAUSE_START = (
    r"(?:^(?:(?:[Bb]ut|[Aa]nd|[Ss]o|[Yy]et|[Tt]hen|[Nn]ow|[Ss]till|[Aa]lso|[Oo]r)\s+)?|[,;:(—–]\s*|\s-+\s+"
    r"|\s(?:but|and|so|yet|while|as|because|though|although|when|since|like|then|now|where|after|before|until"
    r"|whom|whose)\s+)"
)

# The role between a publication or place and a name: "New York Times columnist Michael Pollan".
_ROLE_NOUN = (
    r"(?:columnist|editor|reporter|writer|blogger|journalist|correspondent|contributor|analyst|economist|"
    r"professor|scholar|historian|author|critic|commentator|host|anchor|spokes(?:man|woman|person)|"
    r"senator|governor|mayor|judge|lawyer|attorney|official|director|president|chairman|chair|founder|fellow)"
)

# "my friend Sara", "our reader Tom": the name after is a subject wherever the phrase stands.
_KIN = (
    r"(?:[Mm]y|[Oo]ur)\s+(?:[a-z]+\s+){0,2}(?:friend|colleague|reader|commenter|brother|sister|wife|husband|"
    r"father|mother|cousin|buddy|pal|boy|girl|man)\s+"
)

_LEAD_SUBJECT_RE = re.compile(
    rf"(?:{_CLAUSE_START}(?:{_KIN})?|\s{_KIN})(?P<subj>(?:[Tt]he\s+)?(?:{_NAME_SEQ}\s+(?:[a-z]+\s+)?{_ROLE_NOUN}\s+)?{_NAME_SEQ}(?:\s+et\s+al\.?)?|(?:[Hh]e|[Ss]he|[Tt]hey|I|[Ww]e)(?:[’'](?:s|ve|d|ll|m|re))?)"
    rf"(?=(?:\s*\([^()]{{0,160}}\))?(?:\s*,[^,:;]{{1,90}},|\s+(?:of|from|at)\s+(?:the\s+)?{_NAME_SEQ})?"
    r"\s+(?:[a-z]+ly\s+)?(?P<verb>[a-z][a-z’'\-]*))"
)


_WORK_NOUNS = (
    r"interview|article|book|post|essay|piece|column|op-ed|speech|letter|memo|testimony|remarks|statement|"
    r"paper|tweets?|comments?|reply|response|review|lecture|sermon|email|report|blog|thesis|argument|point|theory|"
    r"take|views?|words|answer|case|critique|analysis|explanation|definition|conclusion|observation|summary|"
    r"position|excerpt|passage|rebuttal|account|quote|quotation|outtake|paragraph|snippet|lines?|introduction|"
    r"foreword|preface|afterword|chapter"
)
# "his assessment is stunning:", "their statement:": a person's anything, but a body's words only (its
# or their "training" is no text of theirs).
_POSSESSIVE_PRONOUN_RE = re.compile(
    rf"(?<![\w’'])(?:(?P<word>[Hh]is|[Hh]er)\s+[a-z]|(?P<body>[Ii]ts|[Tt]heir)\s+(?:[a-z]+\s+)?(?:{_WORK_NOUNS})\b)"
)
# "... open to the idea: Thomas Krehbiel.": a lead-in that names its speaker after a colon.
_COLON_NAME_END_RE = re.compile(rf":\s+(?P<name>{_NAME_SEQ})\.?\s*$")
# "He refers to a state legislator's clarification:": words pointed to belong to their owner, here unnamed.
_POINTED_UNNAMED_RE = re.compile(
    rf"\b(?:refers?|referred|referring|points?|pointed|links?|linked)\s+(?:us\s+)?to\s+(?:an?|one|another|some)\s+"
    rf"(?:[a-z][\w\-]*\s+){{0,3}}[a-z][\w\-]*[’']s\s+(?:[a-z]+\s+)?(?:{_WORK_NOUNS}|clarification|explanation)\b"
)

# "From a Hakim Bey interview:", "Here is Potvin's reply:": the work names its author.
_WORK_OF_RE = re.compile(
    rf"^(?:(?:[Ff]rom|[Ii]n|[Hh]ere\s+is|[Hh]ere's|[Ss]ee|[Rr]ead)\s+)?(?:(?:an?|the|this|that)\s+)?"
    rf"(?:(?:new|recent|latest|long|short|old|great|fine)\s+)?(?P<name>{_NAME_SEQ})(?:[’']s)?\s+"
    rf"(?:(?:new|recent|latest|own)\s+)?(?:{_WORK_NOUNS})\b"
)

# "Butler Shaffer's Calculated Chaos", "Jim Bovard's new book, Attention Deficit Democracy": the title starts
# where the match ends.
_POSSESSIVE_CAPITAL_RE = re.compile(
    rf"[’']s\s+(?:(?:(?:new|latest|recent|old|classic|great|excellent|fine|own)\s+)?(?:{_WORK_NOUNS}|novel|film),?\s+)?"
    rf"(?=[{_UP}])"
)

_WORK_NAME_RE = re.compile(rf"[{_UP}][\w’'\-]*(?:\s+(?:{_PARTICLE}\s+)*[{_UP}][\w’'\-]*)*")

# "Jo Moss's recent analysis of the council", "Tucker's thesis": a work names its owner.
_POSSESSIVE_WORK = rf"(?P<name>{_NAME_SEQ})[’']s\s+(?:[a-z]+\s+){{0,2}}(?:{_WORK_NOUNS})\b"
_POSSESSIVE_WORK_RE = re.compile(rf"(?<![\w’'\-.]){_POSSESSIVE_WORK}")
# In a lead-in, only a work the quotation comes from ("lacking from Jo Moss's analysis:", "Here is Moss's
# reply:", "In the Suskind article:"); "analyze Bush's speech:" names what is talked about, not who talks.
_SOURCE_WORK = r"(?:^|\b(?:[Ff]rom|[Ii]n|[Hh]ere[’']s|[Hh]ere\s+is|[Ss]ee|[Rr]ead)\s+)"
_SOURCE_POSSESSIVE_WORK_RE = re.compile(rf"{_SOURCE_WORK}(?:(?:the|this|that)\s+)?{_POSSESSIVE_WORK}")
_NAMED_WORK_RE = re.compile(
    rf"{_SOURCE_WORK}(?:the|this|that)\s+(?:(?:new|recent|latest)\s+)?(?P<name>{_NAME_SEQ})\s+(?:{_WORK_NOUNS})\b"
)

# "this latest article by Harry Browne:", "a fine piece from Jo Moss:": the work names its author.
_WORK_BY_RE = re.compile(
    rf"\b(?:{_WORK_NOUNS})\s+(?:(?:written|posted)\s+)?(?:by|from)\s+"
    rf"(?:(?:my|our|a|an|the|fellow)\s+(?:[a-z][\w\-]*\s+){{0,3}}[a-z][\w\-]*,?\s+)?(?P<name>{_NAME_SEQ})"
)

# "From a VT administrator:", "Here is one reader:": a source left unnamed.
_UNNAMED_SOURCE_RE = re.compile(
    r"^\s*(?:[Ff]rom|[Vv]ia|[Hh]ere(?:'s|’s|\s+is)|[Tt]his\s+(?:is\s+)?from)\s+(?:an?|one|another|some)\s+[^:,.]{1,60}:\s*$"
)

_PAIR_RE = re.compile(r"\s(?:and|&)\s")

# Words inside a capitalised run that make it a title or an institution rather than a person's name.
_THING_WORDS_RE = re.compile(r"\s(?:and|&|of|for|the|on|in|to|a)\s")

# "From the Daily Paul:", "In the Sentinel today:": a publication or site, named with its article.
_PLACE_LEAD_RE = re.compile(
    rf"^\s*(?:[Ff]rom|[Vv]ia|[Ii]n|[Aa]t|[Oo]n)\s+the\s+{_NAME_SEQ}(?:\s+(?:today|yesterday|recently|this\s+week))?\s*:\s*$"
)

# "Here's my take:", "My reply was this:": the author's own words follow.
_FIRST_PERSON_WORK_RE = re.compile(rf"(?<![\w’'])(?:[Mm]y|[Oo]ur)\s+(?:own\s+)?(?:{_WORK_NOUNS}|thoughts)\b")

_JOIN_REST_STOP_RE = re.compile(r"[.!?;]")


def _join_attribution(between: str, first_inner: str) -> tuple[_Attribution, int] | None:
    """'"The law," she said, "is clear."': an attribution clause splitting one quotation."""
    if first_inner.rstrip().endswith((".", "!", "?")):
        return None
    tail = between.rstrip()
    if tail.endswith(("!", "?")) or (tail.endswith(".") and not _is_abbreviation(tail, len(tail) - 1)):
        return None  # '," said Lindqvist. "' ends a sentence: two quotations
    found = _after_attribution(between)
    if found is None:
        return None
    rest = between[found[1] :]
    if not rest.strip(" ,:—–-"):
        return found
    # Only an object or a short phrase may follow: ', he told the board, "'.
    short = len(rest.split()) <= 8 and not _JOIN_REST_STOP_RE.search(rest)
    return found if short and rest.rstrip().endswith((",", ":", "—", "–")) else None


_DASH_LINE_RE = re.compile(r"^\s*(?:[—–―]|-{1,2})\s*(?P<who>\S.*)$")

_NAME_DATE_LINE_RE = re.compile(rf"^\s*(?P<who>{_NAME_SEQ})\s*(?:,|\()\s*(?:c\.\s*|circa\s+)?(?:\d{{3,4}}|[{_UP}“\"])")

# A source in brackets closing a quoted block: "(Hatonn, February 3, 1991)", "(Jo Reyes, 2019)".
_SOURCE_PAREN_RE = re.compile(
    rf"(?<=[.!?”\"’])\s*\((?P<who>{_NAME_SEQ})\s*,\s*(?:[{_UP}][a-z]+\.?\s+)?(?:\d{{1,2}},?\s+)?(?:1[6-9]|20)\d\d\)\s*$"
)

_INLINE_ATTR_RE = re.compile(r"(?:(?<=[”\"’.!?])|(?<=\s))\s*(?:[—–―]|--)\s*(?P<who>[^—–―\"“”]{2,160})$")

_WHO_CUT_RE = re.compile(r",|\(|\s(?:in|on|at|from|to|during|via|speaking|writing|addressing)\s")


def _who(raw: str) -> str | None:
    """The name in an attribution line: '— Judge Amy Lin, dissenting, 2019' -> 'Amy Lin'."""
    raw = re.sub(r"^(?:attributed\s+to|after)\s+", "", raw.strip(), flags=re.IGNORECASE)
    cut = _WHO_CUT_RE.search(raw)
    name = raw[: cut.start()] if cut else raw
    name = name.strip(" .")
    if not name or len(name.split()) > 8 or not name[0].isupper():
        return None
    first = name.split()[0].lower().strip(".,")
    if first in _LEAD_STOP or first in _VERB_SET:
        return None  # "However, I'm now aware ...": a sentence, not a name
    return _clean_speaker(name) or name


def _attribution_line(text: str, *, after_quote: bool) -> str | None:
    """A line that only attributes the quotation above it: '— Name, 1963' or 'Name, 1963'."""
    if len(text.split()) > 25:
        return None
    dash = _DASH_LINE_RE.match(text)
    if dash:
        return _who(dash.group("who"))
    if after_quote:
        dated = _NAME_DATE_LINE_RE.match(text)
        if dated and not _DOUBLE_RE.search(text) and not _VERB_RE.search(text):
            return _who(text)
    return None


def _inline_attribution(text: str) -> tuple[str, str] | None:
    """'"Quoted words." — Name' or '... words. (Name, 3 May 1991)' in one block: (quotation, speaker)."""
    source = _SOURCE_PAREN_RE.search(text)
    if source is not None and not _is_publication(source.group("who")):
        speaker = _clean_speaker(source.group("who"))
        body = _strip_wrapping(text[: source.start()])
        if speaker is not None and body:
            return body, speaker
    match = _INLINE_ATTR_RE.search(text)
    if match is None or len(match.group("who").split()) > 20:
        return None
    speaker = _who(match.group("who"))
    body = _strip_wrapping(text[: match.start()])
    if speaker is None or not body:
        return None
    return body, speaker


def _mostly_marked(text: str) -> bool:
    """Wholly in marks, or mostly quoted speech with its attributions ("“...,” Hart said. “...”"): a block
    whose quotations are the point. A block quote that only opens with a short quotation is not."""
    if not _opens_with_mark(text, _family_for(text)):
        return False
    if _wholly_marked(text):
        return True
    spans, _, _ = _pair_all(text, straight_singles=False)
    inside = sum(len(text[span.inner_start : span.inner_end].split()) for span in spans)
    return inside >= _MOSTLY_QUOTED * len(text.split())


def _wholly_marked(text: str) -> bool:
    """Text wrapped in quotation marks, or opening one that never closes (a passage's paragraph); not text that
    merely opens with a short quotation and goes on ("“Presidents lie,” Ribuffo said. From Kennedy on, ...")."""
    text = text.rstrip()
    if not _opens_with_mark(text, _family_for(text)):
        return False
    spans, trailing = _pair(text, _family_for(text), straight_singles=False)
    if trailing == 0:
        return True  # the multi-paragraph convention: opens, never closes
    return bool(spans) and spans[0].start == 0 and (spans[0].stop >= len(text) or _inline_attribution(text) is not None)
