"""Verbs of saying, by lemma with every inflection generated, and whether a word can be a finite verb."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.essays.text import STOPWORDS

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

_NOT_VERBS = frozenset(
    """
    of for at in on to from with by and or but nor the a an this that these those as like than about over
    under into onto upon after before since until while if because his her its their our my your them
    him me us it you there here who whom whose which what where when why how not no
    """.split()
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
