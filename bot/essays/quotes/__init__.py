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
* A publication is also known by how the essay names it ("wrote in the Clarion", "a Clarion
  editorial"); a publication's possessive names its writer ("Salon's Joan Walsh"); a work speaks
  for its author ("Butler Shaffer's Calculated Chaos"); the blog's own name (``site_name``) never
  speaks. Verbs of saying are known by lemma, every inflection generated.
* He and she prefer the names the essay itself calls he or she (or titles "Mr."/"Ms."), then a
  clause's subject, and never a plural group ("Democrats"), a kind of person ("your typical
  American") or a name only ever seen after a preposition; a run of one pronoun keeps its first
  antecedent ("Reyes blogs. He covers the case of Amos Leigh, and he explains:" is Reyes).
* A lead-in may name its source anywhere ("lacking from Jo Moss's recent analysis at Blog:"), point
  to "an excerpt" of the work under discussion, or leave the speaker open ("He wrote an article
  that argues:" with nobody named yet) for the commentary right after ("I agree with Tucker's thesis").
* Doubled apostrophes at a word's edge (''like this'') are double marks; "from the Moss article" names
  its writer unless the essay names "the Moss" alone, as a paper; a participle of saying after a comma
  ("..., telling us that “…”") and a second "and that “…”" speak for the sentence's subject; asides in
  brackets, interjections ("Oh, God."), numbered units, initials and one-word places are nobody.
* Quoted code, markup and interface labels ('RAILS_ENV', alt="...", "Domains > Manager") and program
  listings set as block quotes are nobody's words.
* An unattributed quotation that is a full sentence or long is ``direct`` with speaker None.
* Results come in reading order; notables carry a salience ``score`` (higher is better).

The package, layer by layer: ``marks`` pairs quotation marks into spans; ``verbs`` knows the verbs
of saying; ``names`` tells people and bodies from publications and works; ``attribution`` is the
grammar that finds a quotation's speaker in its sentence or lead-in; ``machine_text`` rules out
code and menu paths; ``scan`` walks the essay and classifies each quotation; ``notables`` picks
the author's own quotable sentences.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.essays.model import Quote, Section
from bot.essays.quotes.marks import _norm, _without_markup
from bot.essays.quotes.notables import _notables
from bot.essays.quotes.scan import _EssayScanner, _Unit

logger = logging.getLogger(__name__)


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
