"""Special-category terms (GDPR art. 9 and 10) found with Aho–Corasick.

Lexicons are data files in `lexicons/`, one per category and language. A term
alone is weak evidence, so each one is either `strong` (it flags on its own) or
`weak` (it needs a first-person, kinship or membership cue in the same
sentence). `exclude` phrases cancel any term they overlap ("sick of waiting",
"Høyre side av skjermen").

Term syntax: `*term` may end a compound ("brystkreft"), `term*` may start one
("diabetesmedisin"), `term=` takes no inflected forms, and a term written with
capitals that is all capitals or at most four letters long only matches with
that exact case ("LO", "KrF", "HIV").
"""

from __future__ import annotations

import bisect
import enum
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources

import ahocorasick

from domain.sensitivity import Category
from infrastructure.detection.hits import Hit
from infrastructure.detection.normalise import NormalisedText


def _words(text: str) -> list[str]:
    return text.split()


LANGUAGES = ("nb", "nn", "en")
SPECIAL_CATEGORIES = (
    Category.HEALTH,
    Category.POLITICAL_OPINION,
    Category.RELIGION,
    Category.TRADE_UNION,
    Category.ETHNIC_ORIGIN,
    Category.SEXUAL_ORIENTATION,
    Category.GENETIC,
    Category.BIOMETRIC,
    Category.CRIMINAL_CONVICTION,
)
# Being in a party or a union is shown by membership or voting, not by "I":
# "I went to a party for the kids" says nothing about politics.
# Origin and faith likewise: "my black phone" is not "I am Black", and "convert
# my currency" is no conversion.
_MEMBERSHIP_ONLY = frozenset(
    {
        Category.POLITICAL_OPINION,
        Category.TRADE_UNION,
        Category.ETHNIC_ORIGIN,
        Category.RELIGION,
    }
)

# Frequent words that are clearly one language: a Norwegian term such as "same"
# (Sami) is an everyday English word, so each language's terms are used only
# when the text is written in that language.
_NORWEGIAN_MARKERS = frozenset(
    _words(
        """jeg eg ikke ikkje og er det på har til som av ein eit et vi dere dykk
        hei takk kva hva kor hvordan korleis eller kan vil skal må også òg meg deg
        min mitt mi når fra frå etter bare berre veldig nå hos mine dette denne ble
        vart blei fikk fekk mye mykje noe noko"""
    )
)
_ENGLISH_MARKERS = frozenset(
    _words(
        """the and is are you your my it this that have has was with not can't
        don't i'm i've please thanks thank what when how would could there from
        they will been of on an me to just why our we it's be do did get"""
    )
)


# Endings a lexicon stem may take in bokmål, nynorsk and English, so one stem
# covers "sykdom", "sykdommen", "sjukdomen", "gravide", "allergies".
_ENDINGS = frozenset(
    _words(
        """ e en er ene et a ar ane as s es ed ing ingen inga ingar ingane inger
    ingene t te ede ne ens ets 's erne ere eren ers d de n r ande ende ies ied
    """
    )
) | {""}
_MAX_WORD_SCAN = 40
_SENTENCE_ENDS = ".!?\n"
_SENTENCE_LOOK_BACK = 100
_SENTENCE_LOOK_AHEAD = 60

CONFIDENCE_STRONG = 0.6
CONFIDENCE_STRONG_WITH_CUE = 0.9
CONFIDENCE_WEAK_WITH_CUE = 0.75
CONFIDENCE_MEMBERSHIP = 0.85


class TermKind(enum.StrEnum):
    STRONG = "strong"
    WEAK = "weak"
    EXCLUDE = "exclude"
    CUE = "cue"
    SELF = "self"


@dataclass(frozen=True)
class Term:
    kind: TermKind
    category: Category | None  # None for the shared first-person cues
    language: str
    stem: str  # lower case
    exact_case: str | None
    compound_head: bool
    compound_modifier: bool
    inflects: bool


@dataclass(frozen=True)
class Lexicon:
    automaton: ahocorasick.Automaton
    self_cues: re.Pattern[str]
    membership_cues: dict[Category, re.Pattern[str]]


def parse_terms(
    lines: Iterable[str], category: Category | None, language: str
) -> Iterator[Term]:
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kind_text, _, spelled = line.partition(" ")
        kind = TermKind(kind_text)
        spelled = spelled.strip()
        core = spelled.strip("*=")
        yield Term(
            kind=kind,
            category=category,
            language=language,
            stem=core.lower(),
            exact_case=core if _is_case_sensitive(core) else None,
            compound_head=spelled.startswith("*"),
            compound_modifier=spelled.rstrip("=").endswith("*"),
            inflects=not spelled.endswith("="),
        )


def _is_case_sensitive(core: str) -> bool:
    # Abbreviations ("LO", "KrF", "HIV") are ordinary words in lower case;
    # longer names ("Høyre", "Labour") are often typed in lower case by people.
    has_capital = core != core.lower()
    return has_capital and (len(core) <= 4 or core == core.upper())


def _read_lexicon_file(name: str) -> list[str]:
    package = resources.files("infrastructure.detection") / "lexicons" / name
    return package.read_text(encoding="utf-8").splitlines()


@functools.cache
def load_lexicon() -> Lexicon:
    automaton = ahocorasick.Automaton()
    by_stem: dict[str, list[Term]] = {}
    self_cues: list[str] = []
    membership: dict[Category, list[str]] = {}
    for language in LANGUAGES:
        for term in parse_terms(
            _read_lexicon_file(f"cues_{language}.txt"), None, language
        ):
            self_cues.append(term.stem)
        for category in SPECIAL_CATEGORIES:
            name = f"{category.value.lower()}_{language}.txt"
            for term in parse_terms(_read_lexicon_file(name), category, language):
                if term.kind is TermKind.CUE:
                    membership.setdefault(category, []).append(term.stem)
                else:
                    by_stem.setdefault(term.stem, []).append(term)
    for stem, terms in by_stem.items():
        automaton.add_word(stem, (len(stem), tuple(terms)))
    automaton.make_automaton()
    return Lexicon(
        automaton=automaton,
        self_cues=_cue_pattern(self_cues, english_i=True),
        membership_cues={
            category: _cue_pattern(cues, english_i=False)
            for category, cues in membership.items()
        },
    )


def _cue_pattern(cues: list[str], english_i: bool) -> re.Pattern[str]:
    words = sorted(set(cues), key=len, reverse=True)
    alternatives = "|".join(re.escape(word) for word in words)
    pattern = rf"(?<![\w'])(?:{alternatives})(?![\w'])"
    if english_i:
        # The English pronoun counts only when written as a capital "I", since a
        # lower-case "i" is the everyday Norwegian preposition.
        pattern = rf"(?-i:(?<![\w'])I(?![\w]))|{pattern}"
    return re.compile(pattern)


def find_lexicon_hits(norm: NormalisedText) -> list[Hit]:
    lexicon = load_lexicon()
    languages: frozenset[str] | None = None  # decided on the first candidate
    terms: list[tuple[int, int, Term]] = []
    excluded: list[tuple[int, int]] = []
    for last, (length, candidates) in lexicon.automaton.iter(norm.lower):
        start = last + 1 - length
        for term in candidates:
            span = _word_span(norm, start, last + 1, term)
            if span is None:
                continue
            if languages is None:
                languages = written_in(norm.words)
            if term.language not in languages:
                continue
            if term.kind is TermKind.EXCLUDE:
                excluded.append(span)
            else:
                terms.append((span[0], span[1], term))
    blocked = _merged(excluded)
    blocked_starts = [span[0] for span in blocked]
    hits: list[Hit] = []
    for start, end, term in terms:
        slot = bisect.bisect_left(blocked_starts, end) - 1
        if slot >= 0 and blocked[slot][1] > start:
            continue
        hit = _scored(norm, start, end, term, lexicon)
        if hit is not None:
            hits.append(hit)
    return hits


def written_in(words: frozenset[str]) -> frozenset[str]:
    """The languages whose lexicons apply: those with a fair share of the
    marker words in the text, or all of them when there are too few to tell."""
    norwegian = len(words & _NORWEGIAN_MARKERS)
    english = len(words & _ENGLISH_MARKERS)
    if norwegian == 0 and english == 0:
        return frozenset(LANGUAGES)
    languages: set[str] = set()
    if norwegian * 3 >= english:
        languages.update(("nb", "nn"))
    if english * 3 >= norwegian:
        languages.add("en")
    return frozenset(languages)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _word_span(
    norm: NormalisedText, start: int, end: int, term: Term
) -> tuple[int, int] | None:
    text = norm.text
    if term.exact_case is not None and text[start:end] != term.exact_case:
        return None
    word_start = start
    if start > 0 and _is_word_char(text, start - 1):
        if not term.compound_head:
            return None
        limit = max(0, start - _MAX_WORD_SCAN)
        while word_start > limit and _is_word_char(text, word_start - 1):
            word_start -= 1
    word_end = end
    limit = min(len(text), end + _MAX_WORD_SCAN)
    while word_end < limit and _is_word_char(text, word_end):
        word_end += 1
    tail = norm.lower[end:word_end]
    inflected = term.inflects and _is_ending(tail, term.stem)
    if tail and not term.compound_modifier and not inflected:
        return None
    return word_start, word_end


def _is_word_char(text: str, index: int) -> bool:
    char = text[index]
    if char.isalnum():
        return True
    if char in "-'" and 0 < index < len(text) - 1:
        return text[index - 1].isalnum() and text[index + 1].isalnum()
    return False


def _is_ending(tail: str, stem: str) -> bool:
    if tail in _ENDINGS:
        return True
    # A doubled final consonant before the ending: sykdom -> sykdommen.
    return len(tail) > 1 and tail[0] == stem[-1] and tail[1:] in _ENDINGS


def _scored(
    norm: NormalisedText, start: int, end: int, term: Term, lexicon: Lexicon
) -> Hit | None:
    if term.category is None:
        return None
    sentence_start, sentence_end = _sentence_around(norm.text, start, end)
    rule = f"lexicon.{term.category.value.lower()}.{term.language}"
    membership = lexicon.membership_cues.get(term.category)
    if membership is not None and membership.search(
        norm.lower, sentence_start, sentence_end
    ):
        return Hit(
            term.category, start, end, rule + ".membership", CONFIDENCE_MEMBERSHIP
        )
    personal = term.category not in _MEMBERSHIP_ONLY and _has_self_cue(
        norm, lexicon, sentence_start, sentence_end
    )
    if term.kind is TermKind.STRONG:
        confidence = CONFIDENCE_STRONG_WITH_CUE if personal else CONFIDENCE_STRONG
        return Hit(
            term.category,
            start,
            end,
            rule + (".personal" if personal else ""),
            confidence,
        )
    if personal:
        return Hit(
            term.category, start, end, rule + ".personal", CONFIDENCE_WEAK_WITH_CUE
        )
    return None


def _has_self_cue(norm: NormalisedText, lexicon: Lexicon, start: int, end: int) -> bool:
    # The capital-I alternative must see the original case; the rest is matched
    # on the lower-case view, so both are searched.
    return (
        lexicon.self_cues.search(norm.lower, start, end) is not None
        or lexicon.self_cues.search(norm.text, start, end) is not None
    )


def _sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    low = max(0, start - _SENTENCE_LOOK_BACK)
    sentence_start = max(
        (text.rfind(mark, low, start) + 1 for mark in _SENTENCE_ENDS), default=low
    )
    sentence_start = max(sentence_start, low)
    high = min(len(text), end + _SENTENCE_LOOK_AHEAD)
    ends = [
        found for mark in _SENTENCE_ENDS if (found := text.find(mark, end, high)) != -1
    ]
    return sentence_start, min(ends, default=high)
