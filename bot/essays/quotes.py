"""Find the quotations in an essay, with their speakers, and the author's notable sentences.

Pure rules over plain text, no models: quotation marks are paired with typographic
context (straight and curly marks, apostrophes, inch marks), attribution is read from
the words around each quotation ("...," X said / X told Y: "..." / according to X),
and an essay's shape adds three conventions: an opening epigraph with its attribution
line, long borrowed passages whose paragraphs each open with a mark and only the last
closes, and blockquotes introduced by "Writing for <Publication>, <Writer> explains:".

Choices worth knowing:

* Speakers are trimmed of titles and roles ("Attorney General Jane Doe" -> "Jane Doe");
  organisations and offices keep a lowercase article ("the Court", "the mayor’s office");
  a possessive keeps its noun ("Smith’s spokesperson").
* Pronouns are never speakers: he/she/they resolve to the nearest name mentioned before
  the quote (this paragraph, then the previous one), then to the last speaker; "I" is the
  essay's author (or, inside a borrowed passage, the passage's writer).
* Titles of works ("titled ...", "my "Budget Games" blog") are not quotations at all;
  called/so-called/dubbed words are scare quotes, and so are capitalised coinages ("Bridge to
  Nowhere") with nothing around them saying they are titles.
* Both families of marks are paired in every text, the outermost winning, so British (‘…’ around
  “…”) and American conventions, and straight marks of either kind, mix freely.
* A block quote or a passage takes its speaker from the paragraph that leads into it: an
  attribution ("As Jo Moss put it in 1987:"), the subject of its last sentence ("In a recent post,
  Lee endorses the plan:"), a pronoun or possessive resolved back through the essay ("his
  assessment is stunning:"), a work that names its author ("From a Hakim Bey interview:"), a
  source in brackets at its end, or, when the lead-in names nobody, the block quote a few paragraphs
  before it. Interview transcripts ("HB: ...", "Q: ...") give each turn its own speaker.
* A publication, blog or website ("the Riverside Sentinel", "NYT", a site one "visits") is never a
  speaker; academic citations are ("Braddock et al. (2018) find", "Okafor et al. 2013, which finds"),
  as are organisations ("the Housing Ombudsman warned", "in the words of the X Commission that").
* He and she prefer the names the essay itself calls he or she, then a clause's subject.
* Quoted code, markup and interface labels ('RAILS_ENV', alt="...", "Domains > Manager") and program
  listings set as block quotes are nobody's words.
* An unattributed quotation that is a full sentence or long is ``direct`` with speaker None.
* Results come in reading order; notables carry a salience ``score`` (higher is better).
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.essays.model import BlockKind, Quote, QuoteKind, Section
from bot.essays.text import STOPWORDS, sentences

logger = logging.getLogger(__name__)

_Family = Literal["double", "single"]

# --- quotation marks -----------------------------------------------------------------------

_DOUBLE_RE = re.compile(r"[\"“”„«»]")
_SINGLE_RE = re.compile(r"['‘’]")
_DOUBLE_MARKS = '"“”„«»'
_OPEN_GLYPHS = "“„«‘"
_OPENING_MARKS = "\"'“„«‘"
_CLOSE_GLYPHS = "”»’"
# A mark preceded by one of these (or by a space) is in opening position.
_OPEN_PUNCT = "([{—–-/\u00a0"
# A mark followed by one of these (or by a space) is in closing position.
_CLOSE_PUNCT = ".,;:!?)]}—–…-"
# ’90s, 'tis, 'em, 'til: a leading apostrophe that elides letters, not an opening quote.
_ELISION_RE = re.compile(r"(?:\d\ds?|\d0s|tis|twas|em|til|cause|bout|n|net|round|fraid|nother)\b", re.IGNORECASE)

# --- names and speakers --------------------------------------------------------------------

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
_THE_BEFORE_RE = re.compile(r"(?:^|\s)[Tt]he\s*$")
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

# Verbs of saying, by lemma; every inflection is generated, so "clarifies", "articulated" and
# "reflecting" come with their lemma and no list of forms can fall out of step.
_SPEECH_LEMMAS = """
say tell write argue explain note add warn insist ask declare testify tweet post reply respond continue
conclude claim state observe remark recall concede admit acknowledge counter quip opine announce contend
emphasize emphasise stress joke complain suggest predict maintain lament wonder caution urge report answer
shout yell whisper muse sigh scoff protest object agree disagree recount snap retort concur dissent rule
thunder promise vow pledge boast confirm deny estimate cry offer beg plead describe find clarify articulate
reflect elaborate assert posit propose comment summarize summarise reason allege charge mention
complain grumble gripe rant blog explain admonish advise counsel remind reiterate repeat affirm aver
proclaim pronounce preach lecture editorialize editorialise theorize theorise speculate hypothesize
question query demand plead confess concede retort rejoin interject chide scold criticize criticise
condemn denounce praise exclaim marvel quote cite paraphrase
"""
_IRREGULAR_SPEECH = "said told wrote written found held holds".split()
# Lemmas that are as often nouns: only their inflected verb forms count ("states", "stated"; not
# "the state", "a court ruling", "her reading").
_NOUN_LIKE_LEMMAS = frozenset(
    """state post report rule question comment charge quote cite offer answer lecture object protest cry
    blog query read counter praise demand reason repeat remark estimate promise pledge vow boast joke sigh
    reflect mention""".split()
)
# ... and lemmas whose -ing form is usually a noun: "a finding", "the closing note".
_NO_GERUND_LEMMAS = frozenset("find note reply claim continue estimate".split())


def _inflections(lemma: str) -> set[str]:
    forms = _regular_forms(lemma)
    if lemma in _NOUN_LIKE_LEMMAS:
        forms = {form for form in forms if form != lemma and not form.endswith("ing")}
    elif lemma in _NO_GERUND_LEMMAS:
        forms = {form for form in forms if not form.endswith("ing")}
    return forms


def _regular_forms(lemma: str) -> set[str]:
    """A regular verb's forms: "clarify" -> clarify, clarifies, clarified, clarifying."""
    forms = {lemma}
    if lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        forms |= {lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"}
    elif lemma.endswith("e"):
        forms |= {lemma + "s", lemma + "d", lemma[:-1] + "ing"}
    else:
        plural = lemma + ("es" if lemma.endswith(("s", "sh", "ch", "x", "z")) else "s")
        forms |= {plural, lemma + "ed", lemma + "ing"}
        if lemma[-1] not in "aeiouwxy" and lemma[-2:-1] in "aeiou" and lemma[-3:-2] not in "aeiou":
            # snap -> snapped, admit -> admitted (a stray "answerred" matches nothing)
            forms |= {lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"}
    return forms


_VERB_WORDS = sorted(
    {form for lemma in _SPEECH_LEMMAS.split() for form in _inflections(lemma)} | set(_IRREGULAR_SPEECH)
)


_Trie = dict[str, "_Trie"]


def _trie_pattern(words: Sequence[str]) -> str:
    """One regex alternation shared by prefix ("sa(?:id|ys?)"): hundreds of verb forms stay fast to match."""
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        ending = "" in node
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ending:
            return ("(?:" + body + ")?") if len(branches) > 1 or len(body) > 1 else body + "?"
        return body

    return build(trie)


_VERB_ALT = _trie_pattern(_VERB_WORDS)
_VERB_SET = frozenset(_VERB_WORDS)
_LEMMA_SET = frozenset(_SPEECH_LEMMAS.split())
# Phrasal verbs of saying: "puts it", "pointed out", "chimes in", "shot back", "weighs in".
_PHRASAL = (
    r"puts?\s+it|points?\s+out|pointed\s+out|pointing\s+out|sums?\s+(?:it\s+)?up|summed\s+(?:it\s+)?up"
    r"|chim(?:es?|ed|ing)\s+in|weigh(?:s|ed|ing)?\s+in|(?:shoots?|shot|fires?|fired|hits?)\s+back"
    r"|spells?\s+(?:it\s+)?out|spelled\s+(?:it\s+)?out|lays?\s+(?:it\s+)?out|laid\s+(?:it\s+)?out"
    r"|goes\s+on|went\s+on"
)
_VERB = rf"(?:{_PHRASAL}|{_VERB_ALT})"
_VERB_RE = re.compile(rf"(?<![\w’'\-]){_VERB}(?![\w’'\-])")

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
_SMALL_TITLE_WORDS = frozenset("a an and as at but by for from in into of on or the to vs with".split())
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

# --- sentences -----------------------------------------------------------------------------

_SENT_END_RE = re.compile(r"[.!?…]+(?=\s|$)")
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms mx dr prof sen rep gov gen lt col capt sgt st jr sr inc corp co ltd no vs etc e.g i.e
    u.s u.k jan feb mar apr jun jul aug sep sept oct nov dec mt ft rev hon pres atty dept univ approx
    fig vol pp ed al cf
    """.split()
)

# --- limits --------------------------------------------------------------------------------

_MAX_PASSAGE_UNITS = 30
# A closing single mark that may be a plural possessive ("voters' ") ends at most this many words.
_SUSPECT_CLOSE_WORDS = 12
# A block set apart from the prose needs fewer signs of code to be a listing than a sentence does.
_BLOCK_CODE_SIGNS = 2
# Quotations inside quotations inside quotations are still read (a scare quote in a quoted sentence).
_MAX_NESTING = 2
_UNCLOSED_START_WORDS = 120  # a paragraph that opens with a mark and lost its closing one
_UNCLOSED_MID_WORDS = 40  # a stray mark inside a paragraph
# Unattributed quoted words shorter than this are scare quotes or coinages; longer ones are
# somebody's words even when that somebody goes unnamed.
_MIN_SPOKEN_WORDS = 4
# A block quote whose words are at least this share quoted speech is read as its quotations, not as one.
_MOSTLY_QUOTED = 0.6

# --- notables ------------------------------------------------------------------------------

# Salience features, looked up per lowercased word (phrases by substring): cheaper than a regex.
_CLAIM_WORDS = frozenset(
    """must never always cannot can't won't nothing nobody only every none wrong truth true false fail
    fails failed failure simply clear clearly fundamental fundamentally essential real matter matters
    should""".split()
)
_CLAIM_PHRASES = (
    "no one",
    "need to",
    "have to",
    "no longer",
    "the point",
    "the problem",
    "the question",
    "the lesson",
    "the answer",
    "the cost",
    "the price",
)
_CONTRAST_WORDS = frozenset("but yet however instead although though whereas while".split())
_SUPERLATIVE_WORDS = frozenset(
    """most least best worst greatest largest biggest smallest highest lowest deepest oldest newest
    strongest weakest richest poorest fastest slowest hardest simplest""".split()
)
_DIGIT_RE = re.compile(r"\d")
_TOKEN_RE = re.compile(r"[^\W\d_]{2,}(?:['\-][^\W\d_]+)*")
# Page chrome that slipped into the text: a notable is the author's words, never the page's.
_CHROME_RE = re.compile(
    r"^\s*(?:Posted\s+(?:by|on|at|in)\b|Labels?\s*:|Tags?\s*:|Filed\s+under\b|Categor(?:y|ies)\s*:|No\s+comments\b"
    r"|\d+\s+comments?\b|Post\s+a\s+comment\b|Leave\s+a\s+(?:comment|reply)\b|Share\s+(?:this|on|to|via)\b"
    r"|Email\s+(?:this|it)\b|Subscribe\s+(?:to|now)\b|(?:Newer|Older)\s+Posts?\b|Permalink\b|Continue\s+reading\b"
    r"|Read\s+(?:more|the\s+rest)\b|Like\s+this\b|Related\s+(?:posts?|articles?)\b|Powered\s+by\b|Copyright\b|©)",
    re.IGNORECASE,
)
# A sentence that points at another post rather than saying something: "See also my August 16th Rule of
# Law blog", "As I wrote last week, ...", "in a previous post", "click here".
_POST_WORDS = r"(?:post|posts|blog|essay|essays|piece|article|entry|column|series|rant)"
_REFERENCE_RE = re.compile(
    r"\b(?:see|read)\s+(?:also\s+)?(?:my|our|this|the|an?)\b[^.!?]{0,80}?\b" + _POST_WORDS + r"\b"
    r"|\b(?:as|what)\s+(?:I|we)\s+(?:have\s+)?(?:wrote|written|said|noted|argued|mentioned|discussed|explained|"
    r"pointed\s+out|blogged|posted|covered)\b"
    r"|\b(?:I|we)\s+(?:have\s+)?(?:wrote|written|blogged|posted)\s+(?:about|on|before|earlier|previously)\b"
    r"|\b(?:my|our|an?|the)\s+(?:earlier|previous|prior|recent|last|older)\s+" + _POST_WORDS + r"\b"
    r"|\b(?:my|our)\s+(?:[\w’'\-]+\s+){0,6}?" + _POST_WORDS + r"\s+(?:on|about|from|of)\b"
    r"|\b(?:previously|earlier|before)\s+on\s+this\s+(?:blog|site)\b|\bclick\s+here\b|\bsee\s+also\b"
    r"|\blink(?:ing|ed)?\s+(?:you\s+)?to\b|\b(?:write|writing)\s+(?:a|this)\s+" + _POST_WORDS + r"\b",
    re.IGNORECASE,
)
_WEB_ADDRESS_RE = re.compile(r"\b[\w\-]+\.(?:com|org|net|blogspot|wordpress|io|co\.uk)\b", re.IGNORECASE)
_DEICTIC_START_RE = re.compile(r"^(?:This|That|It|These|Those|He|She|They|Such|Here|There|His|Her)\b")
_CONJ_START_RE = re.compile(r"^(?:And|But|So|Or)\b")


# --- data ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Unit:
    """A block in reading order with the section it belongs to."""

    section: int
    kind: BlockKind
    text: str


@dataclass(slots=True)
class _Span:
    """A quotation in a text: ``start`` is its opening mark, ``stop`` the index after it ends."""

    start: int
    inner_start: int
    inner_end: int
    stop: int
    closed: bool


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


# --- public API ----------------------------------------------------------------------------


def find_quotes(
    sections: Sequence[Section], *, author: str | None = None, site_name: str | None = None, notable: int = 3
) -> list[Quote]:
    """The quotations, epigraph, scare quotes and top ``notable`` author sentences, in reading order.

    ``author`` is the essay's author ("I" in the essay, and the speaker of its notable sentences);
    ``site_name`` the blog's own name, which is never anybody's speaker (nor the author's name when a
    feed gives the blog's title as its author).
    """
    if author and site_name and _norm(author).lower() == _norm(site_name).lower():
        author = None  # a feed that names the blog as the author names nobody
    units = [_Unit(s.index, b.kind, _without_markup(" ".join(b.text.split()))) for s in sections for b in s.blocks]
    scanner = _EssayScanner(units, author, site_name)
    scanner.run()
    found = scanner.found + _notables(units, scanner.consumed, author, notable)
    found.sort(key=lambda f: (f.unit, f.pos))
    result: list[Quote] = []
    seen: set[tuple[str, str]] = set()
    for item in found:
        key = (item.quote.kind, item.quote.text)
        if key not in seen:
            seen.add(key)
            result.append(item.quote)
    return result


# HTML tags that leaked into the text (an editor's raw <a title="..." href="...">): their attribute
# values are in quotation marks, and nobody's words.
_LEAKED_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")


def _without_markup(text: str) -> str:
    if "<" not in text:
        return text
    return " ".join(_LEAKED_TAG_RE.sub(" ", text).split())


# --- pairing marks -------------------------------------------------------------------------


def _pair(text: str, family: _Family, *, straight_singles: bool = True) -> tuple[list[_Span], int | None]:
    """Closed quotation spans of one mark family, and the position of a trailing unclosed mark."""
    if family == "double":
        return _pair_double(text)
    return _pair_single(text, straight_singles)


def _pair_double(text: str) -> tuple[list[_Span], int | None]:
    spans: list[_Span] = []
    pending: int | None = None
    size = len(text)
    for match in _DOUBLE_RE.finditer(text):
        i = match.start()
        char = text[i]
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < size else " "
        if char == '"' and prev.isdigit() and pending is None:
            continue  # an inch mark: 12" pipe
        opening = prev.isspace() or prev in _OPEN_PUNCT
        closing = nxt.isspace() or nxt in _CLOSE_PUNCT
        if opening and not closing:
            is_open = True
        elif closing and not opening:
            is_open = False
        elif char in _OPEN_GLYPHS or char in _CLOSE_GLYPHS:
            is_open = char in _OPEN_GLYPHS
        else:
            is_open = pending is None
        if is_open:
            pending = i  # an earlier unclosed mark was stray
        elif pending is not None:
            spans.append(_Span(pending, pending + 1, i, i + 1, True))
            pending = None
    return spans, pending


def _single_marks(text: str, straight: bool) -> list[tuple[int, bool, bool]]:
    """(position, is_open, suspect) for single marks that can be quotation marks."""
    marks: list[tuple[int, bool, bool]] = []
    size = len(text)
    for match in _SINGLE_RE.finditer(text):
        i = match.start()
        char = text[i]
        if char == "'" and not straight:
            continue
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < size else " "
        if prev.isalnum() and nxt.isalnum():
            continue  # don't, O’Brien
        opening = prev.isspace() or prev in _OPEN_PUNCT or prev in '"“'
        closing = nxt.isspace() or nxt in _CLOSE_PUNCT or nxt in '"”'
        if opening and not closing:
            if _ELISION_RE.match(text, i + 1):
                continue  # ’90s, 'tis
            marks.append((i, True, False))
        elif closing and not opening and char != "‘":
            # students’ union: a plural possessive looks like a closing mark.
            suspect = prev in "sSzx" and nxt.isspace()
            marks.append((i, False, suspect))
    return marks


def _pair_single(text: str, straight: bool) -> tuple[list[_Span], int | None]:
    marks = _single_marks(text, straight)
    spans: list[_Span] = []
    pending: int | None = None
    for index, (pos, is_open, suspect) in enumerate(marks):
        if is_open:
            pending = pos
            continue
        if pending is None:
            continue
        if suspect and (_later_plain_close(marks, index) or len(text[pending:pos].split()) > _SUSPECT_CLOSE_WORDS):
            continue  # "the voters' choice": a plural possessive, not the end of a long quotation
        spans.append(_Span(pending, pending + 1, pos, pos + 1, True))
        pending = None
    return spans, pending


def _later_plain_close(marks: list[tuple[int, bool, bool]], index: int) -> bool:
    for _, is_open, suspect in marks[index + 1 :]:
        if is_open:
            return False
        if not suspect:
            return True
    return False


_STRAIGHT_OPENING_RE = re.compile(r"(?:^|[\s(\[{—–/\"“])'(?=\w)")


def _pair_all(text: str, *, straight_singles: bool = True) -> tuple[list[_Span], int | None, _Family]:
    """The outermost closed quotations of either family, a trailing unclosed mark, and the text's family.

    British and American conventions mix on real blogs (‘…’ around “…”, or the reverse, and
    straight marks of both kinds), so both families are paired and the outermost spans win;
    a single-mark span that crosses a double one is an apostrophe misread, and is dropped.
    """
    doubles, double_trailing = _pair_double(text)
    if "‘" in text or (straight_singles and "'" in text and _STRAIGHT_OPENING_RE.search(text)):
        singles, single_trailing = _pair_single(text, straight_singles)
    else:
        singles, single_trailing = [], None  # no mark that could open a single-quoted span
    if not singles and single_trailing is None:
        family: _Family = "double" if doubles or "‘" not in text else "single"
        return doubles, double_trailing, family
    singles = [
        s
        for s in singles
        if not any(d.start < s.start < d.stop < s.stop or s.start < d.start < s.stop < d.stop for d in doubles)
    ]
    spans = sorted(doubles + singles, key=lambda span: (span.start, -span.stop))
    top: list[_Span] = []
    for span in spans:
        if top and span.start < top[-1].stop:
            continue  # nested inside the previous outer quotation
        top.append(span)
    inside = [(span.start, span.stop) for span in top]
    doubled = any(text[span.start] in _DOUBLE_MARKS for span in top) or "‘" not in text
    family = "double" if doubled else "single"
    candidates: tuple[tuple[int | None, _Family], ...] = ((double_trailing, "double"), (single_trailing, "single"))
    for trailing, trailing_family in candidates:
        if trailing is None or any(start < trailing < stop for start, stop in inside):
            continue
        if trailing_family == "single" and text[trailing] != "‘":
            continue  # a straight apostrophe left over is no unclosed quotation
        return top, trailing, trailing_family
    return top, None, family


def _opens_with_mark(text: str, family: _Family = "double") -> bool:
    if not text:
        return False
    if family == "double":
        return text[0] in '"“„«'
    return text[0] in "‘'"


def _family_for(text: str) -> _Family:
    """Double marks unless the text uses only curly single ones (British style)."""
    if _DOUBLE_RE.search(text) or "‘" not in text:
        return "double"
    return "single"


def _other(family: _Family) -> _Family:
    return "single" if family == "double" else "double"


# --- sentences -----------------------------------------------------------------------------


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    start = dot
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "."):
        start -= 1
    token = text[start:dot].lower()
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def _sentence_start(text: str, lo: int, hi: int) -> int:
    """Start of the sentence that contains position ``hi``, not before ``lo``."""
    start = lo
    for match in _SENT_END_RE.finditer(text, lo, hi):
        if not _is_abbreviation(text, match.start()):
            start = match.end()
    while start < hi and text[start].isspace():
        start += 1
    return start


def _sentence_end(text: str, lo: int, hi: int) -> int:
    """Index after the first sentence end in [lo, hi), or ``hi``."""
    for match in _SENT_END_RE.finditer(text, lo, hi):
        if not _is_abbreviation(text, match.start()):
            return match.end()
    return hi


def _last_sentence(text: str) -> str:
    stripped = text.rstrip()
    return stripped[_sentence_start(stripped, 0, max(0, len(stripped) - 1)) :]


# --- speakers ------------------------------------------------------------------------------


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


_ROLES = (
    "mayor|governor|senator|judge|justice|treasurer|comptroller|auditor|commissioner|secretary|director|"
    "chairman|chairwoman|chair|president|minister|chancellor|sheriff|superintendent|spokesperson|"
    "spokesman|spokeswoman|economist|professor|author|writer|reporter|official|attorney|prosecutor|"
    "clerk|manager|councilmember|councilman|councilwoman|ceo|founder|editor|historian|lawyer"
)
_MENTION_RE = re.compile(rf"(?P<role>\bthe\s+(?:[a-z]+\s+)?(?:{_ROLES})\b)|(?<![\w’'\-.])(?P<name>{_NAME_SEQ})")
_MASK_RE = re.compile(r"[\"“„«][^\"”»]*[\"”»]")


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
_LY_AFTER_RE = re.compile(r"\s+[a-z]+ly\b")
_PREPOSITION_BEFORE_RE = re.compile(
    r"\b(?:to|of|for|with|by|from|at|in|on|about|against|than|like|as)\s+(?:the\s+)?$", re.I
)
_FIRST_PERSON_CONTRACTION_RE = re.compile(r"^I[’'](?:m|d|ll|ve)$")


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
        if person and _THE_BEFORE_RE.search(before):
            continue  # "the Harwick Mutual", "the Selbourne Quarterly": an institution, not a person
        if person and _A_BEFORE_RE.search(before) and " " not in name:
            continue  # "a Republican", "an American": a kind of person, not one
        if (multiword and " " not in name) or _is_publication(name):
            continue
        found.append((match.start(), name))
    return found


_A_BEFORE_RE = re.compile(r"(?:^|\s)[Aa]n?\s*$")
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
        spans = _mention_spans(masked, True, known)
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


# --- scanning ------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.split())


def _quote_text(inner: str) -> str:
    return _norm(inner).rstrip(",;: —–").strip()


# One token of code or an address: '12', 'RAILS_ENV', "example.com", 'cnnOffsite', "a/b".
_CODE_INNER_RE = re.compile(r"^(?:[^A-Za-z]*|\S*(?:[_/\\=<>{}\[\]]|\.[A-Za-z]|[a-z][A-Z]|://)\S*)$")
_CODE_AROUND = frozenset("[]=({}<>")


def _machine_text(quote: str, before: str, after: str) -> bool:
    """Quoted code, markup or interface labels, never anyone's words: '12', 'RAILS_ENV', "example.com",
    "Domains > Manager", ENV['x'] = 'y', attribute="value"."""
    if " " in quote:
        if _MENU_PATH_RE.search(quote) or quote.startswith(("http://", "https://", "www.")):
            return True  # "Domains > Domain Manager", "File → Save As", a link
    elif not quote or _CODE_INNER_RE.match(quote):
        return True
    if before.rstrip().endswith("="):
        return True  # alt="external link", x = 'production': markup or code
    edge = before[-1:] + after[:1]  # touching the marks: ENV['x'], ('y')
    return any(char in _CODE_AROUND for char in edge) and " " not in quote


# A menu or breadcrumb path: labels joined by an arrow or a bar ("Settings | Privacy", "File -> Save").
_MENU_PATH_RE = re.compile(r"\S\s+(?:>|->|→|»|›|\|)\s+\S")
# Signs of program code or leaked markup in a block of text.
_CODE_SIGNS = (
    re.compile(r"(?:^|\s)--?[a-z][\w\-]*(?=\s|$)"),  # a command-line flag: "-e", "--force"
    re.compile(r"</?[a-z]+[\s>/]"),
    re.compile(r"\b[a-z]+_[a-z_]+\b"),
    re.compile(r"=>|::|\+=|==|!="),
    re.compile(r"\b(?:def|end|return|var|function|const|elif|fi|endif)\b"),
    re.compile(r"[a-z_]\([\w@:,. ]*\)"),
    re.compile(r"(?<=\s):[a-z_]+\b"),
    re.compile(r"\b\w+=[\"'][^\"']*[\"']"),
    re.compile(r"https?://\S+"),
    re.compile(r"\b[a-z]+/[a-z_]+/"),
    re.compile(r"\b[a-z_]+:[a-z_]+\b"),
    re.compile(r"[A-Za-z]\.[a-z_]+[\s(]"),
    re.compile(r"<%|%>|\?\w+="),
)


def _code_like(text: str, signs: int = 3) -> bool:
    """``signs`` or more different signs of code or markup: no quotations are read from it."""
    if not any(char in text for char in "_=<>{}@/") and "::" not in text:
        return False  # prose: cheaper to rule out than to search
    return sum(1 for sign in _CODE_SIGNS if sign.search(text)) >= signs


def _title_case(text: str) -> bool:
    """ "The Penny Societies": every word capitalised (small words aside), as titles of works are."""
    words = text.split()
    if len(words) < 2 or text[-1:] in ".!?,;:":
        return False
    # Numbers belong in titles too: "the Effective Death Penalty Act of 1996".
    return all(w[0].isupper() or w[0].isdigit() or w in _SMALL_TITLE_WORDS for w in words) and words[0][0].isupper()


def _sentence_like(text: str) -> bool:
    stripped = text.rstrip("\"'”’»)")
    # One word is no sentence, whatever its stop: "COPS." is a name.
    return bool(stripped) and stripped[0].isupper() and stripped[-1] in ".!?…" and " " in stripped


# --- who leads into a block quote or a borrowed passage ---------------------------------------

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


# A clause's subject and the word after it: "Over at X, Jo Goff makes", "but she probably ignored",
# "Phil Wilayto of the Antiwar Network presents", "Rosa Diaz, the county's lawyer, argues".
_CLAUSE_START = (
    r"(?:^(?:(?:[Bb]ut|[Aa]nd|[Ss]o|[Yy]et|[Tt]hen|[Nn]ow|[Ss]till|[Aa]lso|[Oo]r)\s+)?|[,;:(—–]\s*|\s-+\s+"
    r"|\s(?:but|and|so|yet|while|as|because|though|although|when|since|like|then|now|where|after|before|until"
    r"|whom|whose)\s+)"
)
_NOT_VERBS = frozenset(
    """
    of for at in on to from with by and or but nor the a an this that these those as like than about over
    under into onto upon after before since until while if because his her its their our my your them
    him me us it you there here who whom whose which what where when why how not no
    """.split()
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
_POSSESSIVE_PRONOUN_RE = re.compile(r"(?<![\w’'])(?P<word>[Hh]is|[Hh]er|[Ii]ts|[Tt]heir)\s+[a-z]")
_WORK_NOUNS = (
    r"interview|article|book|post|essay|piece|column|op-ed|speech|letter|memo|testimony|remarks|statement|"
    r"paper|tweets?|comments?|reply|response|review|lecture|sermon|email|report|blog|thesis|argument|point|theory|"
    r"take|views?|words|answer|case|critique|analysis|explanation|definition|conclusion|observation|summary|"
    r"position|excerpt|passage|rebuttal|account|quote|quotation|outtake|paragraph|snippet|lines?|introduction|"
    r"foreword|preface|afterword|chapter"
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


_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred thousand "
    "million several many few".split()
)
_FINITE_VERBS = frozenset(
    """has had is was will would can could may might must should did does said put told thought made gave
    took went got saw knew found wrote felt kept left meant sent spoke""".split()
)


def _finite_verb_like(word: str) -> bool:
    """ "makes", "argued", "has": a word that can follow a subject; not "them", "out", "like"."""
    word = word.lower().strip(",.;:")
    if word in _FINITE_VERBS:
        return True
    if word in _NOT_VERBS or (word in STOPWORDS and not word.endswith("s")):
        return False
    return len(word) > 3 and (word.endswith("ed") or (word.endswith("s") and not word.endswith(("ss", "us", "is"))))


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
        self.site_name = site_name

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
        if previous and index - 1 not in self.consumed:
            lead = self._lead_in(index, previous)
            if lead.decided:
                return lead.speaker
        carried = self._carried_block_speaker(index)
        if carried is not None:
            return carried
        if previous and index - 1 not in self.consumed and previous[-1] in ":,—–…":
            return self._person(self._named_subject(previous))
        return None

    def _named_subject(self, text: str) -> str | None:
        """The last full name in a lead-in that is not after a preposition ("in New Orleans", "at Reason")."""
        masked = _MASK_RE.sub(" ", text)
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
        names = {n for unit in between for n in _multiword_names(unit.text)}
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
        attribution = _before_attribution(sentence + " ")
        if attribution is not None and attribution.weak and not self._name_like(attribution.raw, sentence):
            attribution = None  # "Use them to comment:", "Looks like X has done it:" name no speaker
        if attribution is not None and attribution.raw.lower() == "it":
            attribution = None  # "Hale's thesis ..., but it holds up:": "it" is the thesis, look further
        if attribution is not None:
            return _LeadIn(self._resolve(attribution, previous, ctx), True)
        masked = _MASK_RE.sub(" ", sentence)
        first_person = False
        for match in _LEAD_SUBJECT_RE.finditer(masked):
            raw, verb = match.group("subj"), match.group("verb")
            if verb in _NOT_VERBS:
                continue
            pronoun = re.sub(r"[’'].*$", "", raw)
            if pronoun in ("I", "we", "We"):
                first_person = True
                continue
            if pronoun.lower() in ("he", "she", "they"):
                return _LeadIn(
                    self._resolve(
                        _Attribution(pronoun), previous[: len(previous) - len(sentence) + match.start("subj")], ctx
                    ),
                    True,
                )
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
        if first_person or (_FIRST_PERSON_WORK_RE.search(masked) and not _multiword_names(masked)):
            return _LeadIn(self.author, True)  # "I sum my position up:", "Here's my take:" the author quotes himself
        if _UNNAMED_SOURCE_RE.match(sentence):
            return _LeadIn(None, True)  # "From a VT administrator:", "From a journalist:": somebody unnamed
        possessive = _POSSESSIVE_PRONOUN_RE.search(masked)
        if possessive is not None:
            word = possessive.group("word").lower()
            person = word in ("his", "her")
            before = previous[: len(previous) - len(sentence) + possessive.start()]
            known = self._known_surnames()
            for text in (before, ctx.context_before, *ctx.earlier):
                name = _last_mention(text, person=person, known=known)
                if name is not None:
                    return _LeadIn(name, True)
        return _LeadIn(None, False)

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
            self.genders = _genders(texts, self._known_surnames())
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
                    if cue.group("wrote") and _LY_AFTER_RE.match(text, site.end()):
                        continue
                    found.add(site.group(0).lower().removeprefix("the "))
            self.sites = frozenset(found)
        return name.lower().removeprefix("the ") in self.sites

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
        # Nearest text first; the first one that names somebody fitting decides.
        for text in (before, ctx.context_before, *ctx.earlier):
            candidates = list(reversed(_mentions(text, person=person, known=known)))
            if gender is not None and candidates:
                genders = self._genders()
                # The essay's own "she" for a name beats a nearer name it never calls "she" ("Republicans");
                # otherwise a name that was a clause's subject beats one after a preposition ("paths to God").
                # A plural group ("Democrats") is never he or she.
                candidates = [name for name in candidates if not _GROUP_NAME_RE.search(name)]
                known_gender = [name for name in candidates if genders.get(name) == gender]
                fitting = [name for name in candidates if genders.get(name, gender) == gender]
                subjects = _subject_mentions(text, known)
                # Then a name not after a preposition ("counties in Virginia" is a place).
                free = [name for name in fitting if name not in self._objects(text, known)]
                candidates = known_gender or [name for name in fitting if name in subjects] or free or fitting
            if candidates:
                return candidates[0]
        return None if ctx.nested else ctx.last_speaker

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
            and not quote.endswith((".", "!", "?", "…"))
            and _after_attribution(after) is None
        ):
            # A lowercase word or two, ending no utterance, after a verb with its own business ("start saying
            # “no”", "justify them as “the natural order”"): a term in use, not anybody's words.
            attribution = None
        if attribution is not None and attribution.weak and not _sentence_like(_quote_text(inner)):
            attribution = None  # "Riders have a name for the boats: “the waiting rooms.”"
        if attribution is not None:
            return "direct", self._resolve(attribution, text[: span.start], ctx)
        if previous_speaker is not None and _COORDINATED_VERB_RE.match(before):
            return "direct", previous_speaker  # '..." and warned, "...'
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


def _cap_unclosed(text: str, opening: int) -> _Span | None:
    """A quotation that never closes: bounded so a stray mark cannot swallow the essay."""
    if not text[:opening].strip() and len(text[opening + 1 :].split()) <= _UNCLOSED_START_WORDS:
        return _Span(opening, opening + 1, len(text), len(text), False)
    end = _sentence_end(text, opening + 1, len(text))
    if len(text[opening + 1 : end].split()) <= _UNCLOSED_MID_WORDS:
        return _Span(opening, opening + 1, end, end, False)
    return None


# --- epigraph helpers ----------------------------------------------------------------------

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


def _quote_like(unit: _Unit) -> bool:
    """A block that is wholly a quotation: a blockquote, or a paragraph wrapped in marks."""
    return unit.kind == "quote" or _wholly_marked(unit.text)


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


def _strip_wrapping(text: str) -> str:
    text = text.strip()
    if text and text[0] in '"“„«‘':
        text = text[1:]
    if text and text[-1] in '"”»’':
        text = text[:-1]
    return _norm(text)


# --- notables ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Candidate:
    unit: int
    pos: int
    section: int
    text: str
    lowered: str  # lowercased, apostrophes straightened
    tokens: list[str]  # lowercased word tokens
    edge: bool = False  # first or last sentence of its section


def _notables(units: list[_Unit], consumed: set[int], author: str | None, limit: int) -> list[_Found]:
    """The author's most quotable sentences: cheap salience features plus keyword density."""
    if limit <= 0:
        return []
    by_section: dict[int, list[_Candidate]] = {}
    counts: Counter[str] = Counter()
    for index, unit in enumerate(units):
        if unit.kind in ("heading", "quote") or index in consumed:
            continue
        for pos, sentence in enumerate(sentences(unit.text)):
            lowered = sentence.lower().replace("’", "'")
            tokens = _TOKEN_RE.findall(lowered)
            counts.update(_content(tokens))
            candidate = _Candidate(index, pos, unit.section, sentence, lowered, tokens)
            by_section.setdefault(unit.section, []).append(candidate)
    candidates: list[_Candidate] = []
    for members in by_section.values():
        members[0].edge = True
        members[-1].edge = True
        candidates.extend(members)
    keywords = {word: count for word, count in counts.items() if count >= 2}
    top = max(keywords.values(), default=1)
    scored: list[tuple[float, _Candidate]] = []
    for candidate in candidates:
        score = _salience(candidate, keywords, top)
        if score > 0:
            scored.append((score, candidate))
    scored.sort(key=lambda pair: (-pair[0], pair[1].unit, pair[1].pos))
    # Checked best first, only as far as needed: the checks cost more than the scores.
    chosen: list[tuple[float, _Candidate]] = []
    for score, candidate in scored:
        if len(chosen) == limit:
            break
        if _quotable(candidate.text):
            chosen.append((score, candidate))
    return [
        _Found(c.unit, 10_000 + c.pos, Quote(c.text, "notable", c.section, author, round(score, 3)))
        for score, c in chosen
    ]


def _quotable(text: str) -> bool:
    """Not page chrome, and not a pointer to another post or page: those say nothing to quote."""
    return not (_CHROME_RE.match(text) or _REFERENCE_RE.search(text) or _WEB_ADDRESS_RE.search(text))


def _content(tokens: list[str]) -> list[str]:
    """Words that carry meaning, possessives folded ("county's" -> "county")."""
    return [token.removesuffix("'s") for token in tokens if token not in STOPWORDS]


def _salience(candidate: _Candidate, keywords: dict[str, int], top: int) -> float:
    text, lowered, tokens = candidate.text, candidate.lowered, candidate.tokens
    size = len(text.split())
    if size < 8 or size > 45 or text.endswith(":") or "http" in text or "www." in text:
        return 0.0
    if _DOUBLE_RE.search(text) or "‘" in text or not text[0].isupper():
        return 0.0  # quoted material, or a fragment
    score = 1.0 if 12 <= size <= 35 else 0.4
    claims = sum(1 for token in tokens if token in _CLAIM_WORDS)
    claims += sum(1 for phrase in _CLAIM_PHRASES if phrase in lowered)
    score += min(1.0, 0.5 * claims)
    score += 0.4 if any(token in _CONTRAST_WORDS for token in tokens) or "rather than" in lowered else 0.0
    score += 0.4 if any(token in _SUPERLATIVE_WORDS for token in tokens) else 0.0
    score += 0.3 if _DIGIT_RE.search(text) else 0.0
    score += 0.3 if candidate.edge else 0.0
    content = _content(tokens)
    if content:
        score += 1.5 * sum(keywords.get(word, 0) / top for word in content) / len(content)
    if _DEICTIC_START_RE.match(text):
        score -= 0.5
    elif _CONJ_START_RE.match(text):
        score -= 0.2
    if text.endswith("?"):
        score -= 0.2
    if "(" in text:
        score -= 0.2
    return max(score, 0.0)
