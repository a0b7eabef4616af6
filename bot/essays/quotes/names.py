"""Names in an essay: who a capitalised phrase is (a person, a body, a publication), trimmed to the
name a reader searches for, and the people the essay mentions, calls he or she, or gives a role."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter

from bot.essays.quotes.marks import _ABBREVIATIONS, _MASK_RE, _SENT_END_RE
from bot.essays.quotes.verbs import _VERB_SET, _finite_verb_like
from bot.essays.text import STOPWORDS

_UP = "A-ZÀ-ÖØ-ÞĀČĆĐŁŃŚŠŻŽ"

# A capitalised word; a full stop belongs to it only as an initial or an abbreviation, so a name never
# runs over a sentence end ("in Virginia. Tim Worrell" holds two names).
_CAP = (
    rf"(?:(?:(?:al|el|d)[-’'])?[{_UP}](?:[\w’'\-]|\.(?=\w))*(?![\w\-]|\.(?=\w))(?<!\.)"
    rf"(?:(?<=^[{_UP}])\.|(?<=[^\w’'\-][{_UP}])\.|(?<=Jr|Sr|St|Dr|Mr|Ms|Mt|Ft|Co|Lt)\.|(?<=Mrs|Gen|Sen|Rep|Gov|Col|Sgt|Rev|Inc|Ltd)\.|"
    rf"(?<=Capt|Prof|Corp)\.)?)"
)

_PARTICLE = r"(?:&|de|da|del|della|di|du|dos|van|von|der|den|la|le|bin|ibn|al|ter|ten|y|of|for|and|the)"

_NAME_SEQ = rf"{_CAP}(?:\s+(?:{_PARTICLE}\s+)*{_CAP}){{0,6}}"

_GROUPS = (
    "officials|critics|supporters|opponents|experts|economists|analysts|advocates|residents|lawmakers|"
    "legislators|researchers|activists|prosecutors|lawyers|attorneys|historians|scholars|observers|"
    "voters|protesters|organizers|organisers|aides|sources|scientists|doctors|teachers|parents|"
    "students|workers|executives|leaders|judges|justices|regulators|investors|members|staffers"
)

_PRONOUN_RE = re.compile(r"(?:he|she|they|it|i|me|myself|we|us|you)", re.IGNORECASE)

_NAME_END_RE = re.compile(rf"(?<![\w’'\-.])(?:{_NAME_SEQ})(?:[’']s\s+[a-z]+(?:\s+[a-z]+)?)?$")

_DET = r"(?:[Tt]he|[Aa]n?|[Oo]ne|[Aa]nother|[Ss]ome|[Ss]everal|[Tt]wo|[Tt]hree|[Mm]any)"

_NP_END_RE = re.compile(
    rf"(?<![\w’'\-])(?:{_DET}\s+[\w’'\-]+(?:\s+[\w’'\-]+){{0,3}}\s+(?:for|of|at|from|with)\s+)?"
    rf"{_DET}\s+[\w’'\-]+(?:\s+[\w’'\-]+){{0,4}}$"
)

_NAME_FULL_RE = re.compile(_NAME_SEQ)

_GROUP = rf"(?:[a-z]+\s+)?(?i:{_GROUPS})(?:\s+of\s+(?:the\s+)?[\w’'\-]+(?:\s+[\w’'\-]+)?)?"

_GROUP_END_RE = re.compile(rf"(?<![\w’'\-]){_GROUP}$")

_PRON_END_RE = re.compile(r"(?<![\w’'\-])(?:[Hh]e|[Ss]he|[Tt]hey|[Ii]t|I|[Ww]e)$")

_INITIALS_ONLY_RE = re.compile(r"(?:[A-Z]\.)+[A-Z]?\.?")

_THE_BEFORE_RE = re.compile(r"(?:^|\s)[Tt]he\s*$")

# "their 101st Fighting Keyboarders", "the 82nd Airborne": a numbered unit, nobody's name.
_NUMBER_BEFORE_RE = re.compile(r"(?:^|\s)\d+(?:st|nd|rd|th)?\s*$")

_TRAIL_PAREN_RE = re.compile(r"\s*\([^()]*\)\s*$")

# A role phrase ending a text: "the chair of the state Republican Party", "its director at Brightline".
_ROLE_OF_RE = re.compile(
    r"(?:^|\s)(?:[Tt]he|[Aa]n?|[Ii]ts|[Hh]is|[Hh]er|[Tt]heir)\s+(?:[a-z][\w’'\-]*\s+){1,4}(?:of|at|for|from|with)\s+"
    r"(?:the\s+)?(?:[\w’'\-]+\s+){0,4}[\w’'\-]+$"
)

_ET_AL_RE = re.compile(r"\s+et\s+al\.?(?:,?\s*\(?\d{4}[a-z]?\)?)?\s*$")

# Adverbs and auxiliaries between a subject and its verb: "Doe has since said", "Doe later wrote".
_TRAIL_ADV_RE = re.compile(
    r"(?:\s+(?:has|have|had|would|will|could|might|may|must|should|did|does|do|also|then|later|once|"
    r"again|since|too|now|herself|himself|themselves|itself|recently|famously|repeatedly|simply|"
    r"bluntly|flatly|plainly|memorably|previously|earlier|publicly|privately|correctly|rightly|"
    r"(?:likes|liked|loves|loved|used|wants|wanted|tends|tended|went\s+on|goes\s+on)\s+to|"
    r"(?:is|was)\s+fond\s+of))+\s*$"
)

_TRAIL_LY_RE = re.compile(r"(?:\s+[a-z]{2,}ly)+\s*$")

_TITLES = frozenset(
    """
    sen senator rep representative congressman congresswoman congressmember gov governor mayor
    president justice judge dr doctor professor prof mr mrs ms mx miss secretary commissioner ceo cfo
    coo cto chair chairman chairwoman chairperson director minister chancellor speaker leader general
    gen attorney solicitor ambassador sheriff chief officer detective sgt sergeant lt lieutenant col
    colonel capt captain adm admiral rev reverend rabbi imam bishop pastor pope cardinal sir dame king
    queen prince princess provost superintendent comptroller treasurer auditor controller
    councilmember councilman councilwoman councillor councilor alderman alderwoman assemblyman assemblywoman
    assemblymember supervisor executive founder cofounder co-founder editor trustee delegate del
    former late deputy acting interim vice associate assistant senior premier inspector commander
    economist columnist spokesperson spokesman spokeswoman
    """.split()
)

_ORG_WORDS = frozenset(
    """
    department court office agency administration commission committee council board bureau service
    services authority party campaign house senate congress assembly legislature ministry times post
    journal ledger tribune review news press herald gazette guardian magazine association union
    center centre fund network institute foundation university college school company corporation
    corp inc group motors bank trust society league coalition alliance project police army navy
    government city county state republic federation cabinet caucus circuit district staff team firm
    lab labs media report blog commons council reserve system
    """.split()
)

_LEAD_STOP = frozenset(
    """
    should would could can will shall does did must might do is are was were has have had
    but and so yet still then later meanwhile however now when as in on at by for from after before via
    last this that these those here there today yesterday tonight asked indeed instead also even only
    writing speaking like unlike while since if though although because once of to with without under
    over during earlier days weeks months years it its his her their our my your a an according why
    what how who where which both each every some many most several few all no not never just perhaps the
    maybe yes finally first second third next again recently eventually ultimately whether until
    monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec
    """.split()
)

_NOT_SPEAKERS = frozenset(
    "nobody everyone everybody someone somebody anyone anybody people no one i he she they it we you "
    "i'm i’m i'd i’d i've i’ve i'll i’ll".split()
)

_LATE_RE = re.compile(r"^(?:the\s+late|late|former|then-)\s*(?=[A-Z])", re.IGNORECASE)

_COMMON_NP_RE = re.compile(r"^(?:the|an?|one|another|some|several|two|three|many)\s+(?=[a-z])", re.IGNORECASE)

_GROUP_FULL_RE = re.compile(_GROUP)

_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})

# Lowercase role words before a name: "director Celia Marsh", "the painter Theo Lindqvist".
_ROLE_NAME_RE = re.compile(
    rf"(?:(?:[Tt]he|[Aa]n?)\s+)?(?:[a-z][\w’'\-]*\s+){{0,2}}(?!(?:for|of|at|from|with|the|an?|by)\s)"
    rf"[a-z][\w\-]*\s+(?P<name>{_NAME_SEQ})"
)

_POSSESSIVE_RE = re.compile(r"^(.*?[^\s])([’']s\s+[a-z].*)$")

# "the Pew Research Center this week", "Doe on Tuesday": when, not who.
_TIME_TAIL_RE = re.compile(
    r"\s+(?:(?:this|last|next|that)\s+(?:week|month|year|morning|afternoon|evening|spring|summer|fall|autumn|winter)"
    r"|(?:on|last)\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|today|yesterday)$"
)

_PROPER_POSSESSOR_RE = re.compile(r"^[Tt]he\s+[A-Z]\S*[’']s\s+[a-z]")

# "Let's", "Here's", "That's": a contraction, never a name's possessive.
_CONTRACTION_HEADS = frozenset("let here there that what who where when how it he she".split())

_PARTICLES = frozenset(_PARTICLE.strip("(?:)").split("|"))

# ("From Jo Moss:" names a source, so "from" is not among them.)
_PREPOSITIONS = frozenset(
    "at in on by for after before of to with without under over during via like unlike since".split()
)

# A sentence end inside a capitalised run: a word of two letters or more, a full stop, a capital.
_SENTENCE_INSIDE_RE = re.compile(r"(\w*[a-z]{2})\.\s+(?=[A-Z])")

_OWNED_NAME_RE = re.compile(
    rf"^(?P<owner>\S+(?:\s+\S+){{0,3}}?)[’']s\s+(?P<rest>[{_UP}][\w’'\-.]*(?:\s+[{_UP}][\w’'\-.]*)*)$"
)


def _clean_speaker(raw: str) -> str | None:
    """Trim titles, roles and sentence words from a speaker phrase; None when nothing is left."""
    text = _TRAIL_PAREN_RE.sub("", " ".join(raw.split())).strip(" ,;:—–-")
    if text.endswith(".") and not text.endswith(("Jr.", "Sr.", "Inc.", "Co.")):
        text = text[:-1]
    if not text:
        return None
    text = _LATE_RE.sub("", _TIME_TAIL_RE.sub("", text))
    lowered = text.lower()
    if _GROUP_FULL_RE.fullmatch(text):
        return None  # "county officials": a group, not a named speaker
    role = _ROLE_NAME_RE.fullmatch(text)
    if role:
        return _clean_speaker(role.group("name"))  # "the painter Theo Lindqvist" -> the person
    common = _COMMON_NP_RE.match(text)
    if _PROPER_POSSESSOR_RE.match(text):
        return None  # "the BBC's country profile of Somalia": a thing of somebody's, not a speaker
    if common:
        if not lowered.startswith("the "):
            return None  # "a spokesperson", "one of its authors": unnamed, so no speaker
        return lowered[: common.end()] + text[common.end() :]  # "the governor": resolved by role later
    if any(
        word.lower() not in _ABBREVIATIONS and word.lower() not in _TITLES for word in _SENTENCE_INSIDE_RE.findall(text)
    ):
        return None  # "Valerie Plame. Check": two sentences, no name
    owned = _OWNED_NAME_RE.match(text)
    if owned:
        owner, rest = owned.group("owner"), owned.group("rest")
        if _is_publication(owner) or " " not in owner.strip():
            return _clean_speaker(rest)  # "Salon's Joan Walsh", "AntiWar.com's Justin Raimondo": the person
        return _clean_speaker(owner)  # "Butler Shaffer's Calculated Chaos": a work speaks for its author
    possessive = _POSSESSIVE_RE.match(text)
    tail = ""
    if possessive:
        text, tail = possessive.group(1), possessive.group(2)
    tokens = text.split()
    if len(tokens) > 1 and tokens[0].endswith("ing") and tokens[1].lower() in _PARTICLES:
        return None  # "Announcing the Center": a verb opens the sentence, no name
    article = False
    while tokens and tokens[0].lower().strip(".,") in _LEAD_STOP:
        if tokens[0].lower().strip(".,") in _PREPOSITIONS:
            return None  # "At Strike the Root", "Over at Reason": a place to read, never a subject
        article = article or tokens[0].lower() == "the"
        tokens.pop(0)
    if not tokens:
        return None
    name = _strip_titles(tokens)
    if name is None:
        return None
    if tail or re.search(r"[’']s$", name):
        return None  # "Doe’s claim that", "Doe’s spokesperson": no named speaker
    if name.lower() in _NOT_SPEAKERS or not name[0].isupper() or name.lower().strip(".") in _SUFFIXES:
        return None  # a pronoun, a lowercase word, or "Jr." cut from its name
    if name.lower() in _VERB_SET or name.lower() in _CONTRACTION_HEADS:
        return None  # "Says one old spy:": a verb that opens the sentence
    if article:
        name = "the " + name
    return name + tail


def _strip_titles(tokens: list[str]) -> str | None:
    # "Jane Doe of the Brightline Institute": the person, not the place ("Department of Justice" stays).
    for index, token in enumerate(tokens[1:], start=1):
        previous = tokens[index - 1].lower().strip(".,")
        if token in ("of", "for") and previous not in _ORG_WORDS and previous not in _TITLES:
            tokens = tokens[:index]
            break
    if tokens[-1].lower().strip(".,") in _ORG_WORDS:
        return " ".join(tokens)  # "Justice Department", "General Motors": no title to strip
    for title in range(len(tokens) - 2, -1, -1):
        rest = tokens[title + 1 :]
        if tokens[title].lower().strip(".,") not in _TITLES:
            continue
        if all(token.lower().strip(".,") in _SUFFIXES for token in rest):
            continue  # "King" in "Martin Luther King Jr." is a name
        if len(rest) > 2 and rest[0] == "of":
            rest = rest[2:]  # Secretary of State Jane Doe
        return " ".join(rest)
    return " ".join(tokens)


_ROLES = (
    "mayor|governor|senator|judge|justice|treasurer|comptroller|auditor|commissioner|secretary|director|"
    "chairman|chairwoman|chair|president|minister|chancellor|sheriff|superintendent|spokesperson|"
    "spokesman|spokeswoman|economist|professor|author|writer|reporter|official|attorney|prosecutor|"
    "clerk|manager|councilmember|councilman|councilwoman|ceo|founder|editor|historian|lawyer"
)

_MENTION_RE = re.compile(rf"(?P<role>\bthe\s+(?:[a-z]+\s+)?(?:{_ROLES})\b)|(?<![\w’'\-.])(?P<name>{_NAME_SEQ})")

# Two or more capitalised words in a row: cheap to scan for, and all a surname list needs.
_MULTI_NAME_RE = re.compile(rf"[{_UP}][\w’'\-]*(?:\s+(?:[{_UP}]\.|[{_UP}][\w’'\-]+))+")


def _surnames(texts: list[str]) -> frozenset[str]:
    """Names a bare capitalised word at a sentence start can be: last words of the essay's multi-word
    names ("Voss."), and single words it capitalises mid-sentence ("provoke Matt," makes "Matt seems" a name)."""
    found: set[str] = set()
    mid_sentence: Counter[str] = Counter()
    for text in texts:
        for match in _MULTI_NAME_RE.finditer(text):
            name = _clean_speaker(re.sub(r"[’']s$", "", match.group(0)))
            if name is not None and " " in name and not name.startswith("the "):
                found.add(name.split()[-1])
        for match in _MID_CAPITAL_RE.finditer(text):
            mid_sentence[match.group(1)] += 1
    found.update(word for word in mid_sentence if word.lower() not in _LEAD_STOP and word.lower() not in STOPWORDS)
    return frozenset(found)


# A single capitalised word after a lowercase word or a comma: a proper noun ("provoke Matt, to").
_MID_CAPITAL_RE = re.compile(rf"(?<=[a-z,] )([{_UP}][a-z’'\-]+)(?![\w’'\-]|\s+[{_UP}])")

_ROLE_WORDS_RE = rf"(?:{_ROLES})"

_ROLE_SET = frozenset(_ROLES.split("|"))

# "Governor Patrick Lenahan", "the governor of Tallis, Patrick Lenahan,", "Lenahan, the governor".
_ROLE_INTRO_RES = (
    re.compile(rf"\b(?P<role>(?i:{_ROLE_WORDS_RE}))\s+(?P<name>[{_UP}][\w’'\-]+(?:\s+[{_UP}][\w’'\-]+)+)"),
    re.compile(
        rf"\b[Tt]he\s+(?:[a-z][\w’'\-]*\s+)?(?P<role>{_ROLE_WORDS_RE})(?:\s+of\s+[^,]{{1,40}})?,\s+"
        rf"(?P<name>[{_UP}][\w’'\-]+(?:\s+[{_UP}][\w’'\-]+)+),"
    ),
    re.compile(
        rf"(?P<name>[{_UP}][\w’'\-]+(?:\s+[{_UP}][\w’'\-]+)+),\s+the\s+(?:[a-z][\w’'\-]*\s+)?"
        rf"(?P<role>{_ROLE_WORDS_RE})\b"
    ),
)


def _role_names(texts: list[str]) -> dict[str, str]:
    """Role word -> the one person the essay gives that role, so "the governor" can be named."""
    found: dict[str, set[str]] = {}
    for text in texts:
        for pattern in _ROLE_INTRO_RES:
            for match in pattern.finditer(text):
                name = _clean_speaker(match.group("name"))
                if name is not None and " " in name and not name.startswith("the "):
                    found.setdefault(match.group("role").lower(), set()).add(name)
    return {role: next(iter(names)) for role, names in found.items() if len(names) == 1}


def _last_mention(
    text: str, *, person: bool, known: frozenset[str] = frozenset(), multiword: bool = False
) -> str | None:
    """The last person (or, for "they", body) mentioned outside quotation marks; ``multiword``: full names only."""
    found = _mentions(text, person=person, known=known, multiword=multiword)
    return found[-1] if found else None


def _mentions(text: str, *, person: bool, known: frozenset[str] = frozenset(), multiword: bool = False) -> list[str]:
    """The people (or, for "they", bodies) mentioned outside quotation marks, in order."""
    return [name for _, name in _mention_spans(_MASK_RE.sub(" ", text), person, known, multiword)]


def _subject_mentions(text: str, known: frozenset[str]) -> set[str]:
    """Names that stand as a clause's subject: not after a preposition, and a verb follows them."""
    masked = _MASK_RE.sub(" ", text)
    found: set[str] = set()
    for position, name in _mention_spans(masked, True, known):
        if _PREPOSITION_BEFORE_RE.search(masked, max(0, position - 12), position):
            continue
        end = masked.find(name.split()[-1], position)
        following = masked[end + len(name.split()[-1]) :].split()[:2] if end >= 0 else []
        words = [word for word in following if not word.endswith("ly")]
        if words and _finite_verb_like(words[0]):
            found.add(name)
    return found


# "Butler Shaffer's Calculated Chaos": a person's possessive before a capitalised title names a work.
# A publication by how the essay names it: "wrote in the Clarion", "in a Clarion editorial", "the Clarion's article".
# Cues before the name of a place to read: "visit", "over at", "via", "wrote in (the)", and "in a/the" when
# a word for a piece follows the name ("in a Clarion editorial"). Matched as cues first, the name after;
# the cue opens with a literal space (texts are searched with one in front), which the engine finds fast.
_OUTLET_CUE_RE = re.compile(
    r" (?:(?P<site>[Vv]isit(?:ing)?|[Oo]ver\s+at|[Vv]ia)"
    r"|(?P<wrote>wrote|writes|writing|written|published|reported|appeared|appearing|ran|quoted)\s+(?:in|on|for)"
    r"|(?P<piece>[Ii]n|[Oo]n|[Ff]rom)\s+(?:the|an?))\s+(?:the\s+)?(?=[A-Z])"
)

_PIECE_AFTER_RE = re.compile(r"\s+(?:article|piece|op-ed|column|editorial|story|report|website|site)\b")

# "from the Suskind article", "on the Gabb column": pieces a person signs, so one capitalised word before
# them is as often their writer as their paper; an editorial, story or site is a paper's own.
_SIGNED_PIECE_AFTER_RE = re.compile(r"\s+(?:article|piece|op-ed|column)\b")

_LY_AFTER_RE = re.compile(r"\s+[a-z]+ly\b")

_PREPOSITION_BEFORE_RE = re.compile(
    r"\b(?:to|of|for|with|by|from|at|in|on|about|against|than|like|as)\s+(?:(?:the|my|our|your|their)\s+)?$", re.I
)

_FIRST_PERSON_CONTRACTION_RE = re.compile(r"^I[’'](?:m|d|ll|ve)$")


# An interjection opening a sentence, and the stop that closes a verbless exclamation after one name.
_INTERJECTION_BEFORE_RE = re.compile(r"(?:^|[.!?…]\s*)(?:[Oo]h|[Aa]h|[Oo]h\s+my|[Mm]y|[Gg]ood|[Dd]ear),?$")
_EXCLAMATION_END_RE = re.compile(r"\s*[.!?…]")


def _mention_spans(text: str, person: bool, known: frozenset[str], multiword: bool = False) -> list[tuple[int, str]]:
    """(position, name) of each mention in a text whose quotations are already masked."""
    found: list[tuple[int, str]] = []
    for match in _MENTION_RE.finditer(text):
        if match.group("role"):
            found.append((match.start(), match.group("role")))
            continue
        raw = match.group("name")
        if _FIRST_PERSON_CONTRACTION_RE.match(raw):
            continue  # "I'm", "I'd": the writer, not a third person
        before = text[max(0, match.start() - 40) : match.start()].rstrip()
        at_start = not before or before[-1] in ".!?:"
        possessive = raw.endswith(("’s", "'s"))
        if possessive:
            raw = raw[:-2]  # "Bell’s firm" mentions Bell
        if at_start and len(raw.split()) < 2 and not possessive and raw not in known:
            continue  # a capitalised first word is usually not a name
        if not possessive and (person or " " not in raw) and _modifies_noun(text, match.end()):
            continue  # "a former Pentagon adviser", "the Reagan administration": a modifier, not a person
        name = _clean_speaker(raw)
        if name is None:
            continue
        if person and (name.startswith("the ") or name.split()[-1].lower() in _ORG_WORDS):
            continue
        if person and _NUMBER_BEFORE_RE.search(before):
            continue  # "the 101st Airborne": a unit
        if person and _INITIALS_ONLY_RE.fullmatch(name):
            continue  # "O.K.", "U.S.": letters and stops, no name of anybody
        if person and _THE_BEFORE_RE.search(before):
            continue  # "the Harwick Mutual", "the Selbourne Quarterly": an institution, not a person
        if person and " " not in name and (_A_BEFORE_RE.search(before) or _KIND_BEFORE_RE.search(before)):
            continue  # "a Republican", "your typical American", "every Democrat": a kind of person, not one
        if (multiword and " " not in name) or _is_publication(name):
            continue
        if _INTERJECTION_BEFORE_RE.search(before) and _EXCLAMATION_END_RE.match(text, match.end()):
            continue  # "Oh, God.", "Good grief!": an exclamation, nobody mentioned
        found.append((match.start(), name))
    return found


_A_BEFORE_RE = re.compile(r"(?:^|\s)[Aa]n?\s*$")

# "your typical American", "every Democrat", "a good Catholic": one capitalised word after a determiner
# (and maybe an adjective) names a kind of person. Not after "my"/"his"/"their": "my friend Sara" is one.
_KIND_BEFORE_RE = re.compile(
    r"(?:^|\s)(?:[Aa]n?|[Yy]our|[Ee]very|[Ee]ach|[Aa]ny|[Nn]o)\s+"
    r"(?!(?:friend|colleague|reader|commenter|brother|sister|wife|husband|father|mother|cousin|son|daughter)\s)"
    r"[a-z][a-z\-]*\s*$|(?:^|\s)(?:[Yy]our|[Ee]very|[Ee]ach|[Aa]ny)\s*$"
)

# One capitalised word naming a group of people: "Democrats", "Republicans", "Marxists".
_GROUP_NAME_RE = re.compile(r"^[A-Z][a-z]+(?:ans|ats|ists|ites)$")

_NEXT_WORD_RE = re.compile(r" ([a-z][a-z\-]+)\b")


def _modifies_noun(text: str, end: int) -> bool:
    """A capitalised name followed straight away by a common noun ("Pentagon adviser", "Bush administration")."""
    following = _NEXT_WORD_RE.match(text, end)
    if following is None:
        return False
    word = following.group(1)
    if word in STOPWORDS or word in _LEAD_STOP or word.endswith("ly") or _finite_verb_like(word):
        return False
    return not word.endswith(("ed", "s")) and word not in _VERB_SET


# Subject pronouns, and "his" (never an object): "beside her" or "told him" are as often about someone else.
_GENDERED_RE = re.compile(
    r"(?<![\w’'])(?:(?P<m>[Hh]e)|(?P<f>[Ss]he))(?:[’'](?:s|d|ll))?\s+(?:[a-z]+ly\s+)?[a-z]|(?<![\w’'])(?P<his>his)\s+[a-z]"
)


def _genders(texts: list[str], known: frozenset[str]) -> dict[str, str]:
    """ "m" or "f" for the people the essay itself calls he or she (the nearest name before the pronoun)."""
    votes: dict[str, Counter[str]] = {}
    for text in texts:
        masked = _MASK_RE.sub(" ", text)
        pronouns = list(_GENDERED_RE.finditer(masked))
        if not pronouns:
            continue
        # The nearest name that is not after a preposition ("Reyes writes in his Feedlounge. He ..." is Reyes),
        # but an agent is ("an article by Jo Moss, where he argues").
        spans = []
        for position, name in _mention_spans(masked, True, known):
            preposition = _PREPOSITION_BEFORE_RE.search(masked, max(0, position - 12), position)
            if preposition is None or preposition.group(0).lower().startswith("by"):
                spans.append((position, name))
        positions = [position for position, _ in spans]
        for match in pronouns:
            nearest = bisect_left(positions, match.start()) - 1
            reach = 60 if match.group("his") else 200  # "his" only for a name in its own clause
            if nearest < 0 or positions[nearest] < match.start() - reach:
                continue
            if match.group("his") and _SENT_END_RE.search(masked, positions[nearest], match.start()):
                continue
            name = spans[nearest][1]
            if not name.startswith("the "):
                votes.setdefault(name, Counter())["f" if match.group("f") else "m"] += 1
    genders: dict[str, str] = {}
    for name, count in votes.items():
        ranked = count.most_common(2)
        if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
            genders[name] = ranked[0][0]
    return genders


# "Mr. Marclay", "Ms Okafor": a title that says who is he and who is she, even inside borrowed text.
_GENDER_TITLE_RE = re.compile(rf"(?<![\w’'])(?:(?P<m>Mr)|(?P<f>Mrs|Ms|Miss))\.?\s+(?P<name>[{_UP}][\w’'\-]+)")


def _title_genders(texts: list[str]) -> dict[str, str]:
    """ "m" or "f" for the surnames the essay gives a gendered title, when it only ever gives one."""
    seen: dict[str, set[str]] = {}
    for text in texts:
        if "M" not in text:
            continue
        for match in _GENDER_TITLE_RE.finditer(text):
            name = re.sub(r"[’']s$", "", match.group("name"))
            seen.setdefault(name, set()).add("m" if match.group("m") else "f")
    return {name: next(iter(kinds)) for name, kinds in seen.items() if len(kinds) == 1}


def _multiword_names(text: str) -> list[str]:
    """Full names mentioned outside quotation marks ("Hakim Bey", "Dean Baker")."""
    found = []
    for match in _MULTI_NAME_RE.finditer(_MASK_RE.sub(" ", text)):
        name = _clean_speaker(re.sub(r"[’']s$", "", match.group(0)))
        if name is not None and " " in name and not name.startswith("the ") and not _is_publication(name):
            found.append(name)
    return found


def _same_person(left: str, right: str) -> bool:
    """Two ways of naming one speaker: "Dean Baker" and "Baker"."""
    a, b = left.lower().split(), right.lower().split()
    return bool(a and b) and (a[-1] == b[-1] or left.lower() in right.lower() or right.lower() in left.lower())


# The last word of a publication's name: a newspaper, magazine, blog or website is never a speaker.
_PUBLICATION_WORDS = frozenset(
    """
    times post journal review herald ledger gazette tribune sentinel courier magazine news press daily
    weekly monthly quarterly observer guardian chronicle examiner inquirer dispatch monitor bulletin
    telegraph globe mirror express blog digest newsletter podcast
    """.split()
)

# Outlets usually named by an acronym or a one-word brand.
_OUTLETS = frozenset(
    "nyt wsj wapo cnn bbc npr pbs ap afp reuters bloomberg politico slate salon vox axios msnbc cnbc".split()
)

_WEB_NAME_RE = re.compile(r"\.(?:com|org|net|co\.uk|io|blog)$", re.IGNORECASE)


def _is_publication(name: str) -> bool:
    """ "the Riverside Sentinel", "NYT", "Salon", "example.com": a publication, never a speaker."""
    words = name.replace("’", "'").split()
    if not words:
        return False
    last = words[-1].strip(".,;:").lower()
    return last in _PUBLICATION_WORDS or last in _OUTLETS or _WEB_NAME_RE.search(last) is not None


_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred thousand "
    "million several many few".split()
)
