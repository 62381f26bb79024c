"""Personal names: a known given name followed by a surname, or a name after a
cue ("Hei Kari", "My name is", "jeg heter"), or after a title ("Dr. Hansen").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from domain.sensitivity import Category
from infrastructure.detection.hits import Hit
from infrastructure.detection.normalise import NormalisedText

_LETTERS = r"[^\W\d_]"
# The look-behind comes after the first letter so the regex engine can skip
# ahead to capital letters instead of trying every position.
_CAPITALISED = re.compile(
    rf"[A-ZÆØÅÄÖÜÉ](?<![\w'-].){_LETTERS}*(?:[-'][A-ZÆØÅÄÖÜÉa-zæøåäöüé]{_LETTERS}*)?"
)
_NEXT_WORD = re.compile(rf" {{1,2}}({_LETTERS}+(?:-{_LETTERS}+)?)(?![\w@'])")
_TITLE = re.compile(
    r"(?<![\w.])(?:Dr|Mr|Mrs|Ms|Miss|Prof|Herr|Fru|Frk|Doktor|Doctor)\.? "
    rf"([A-ZÆØÅ]{_LETTERS}+(?:-[A-ZÆØÅ]{_LETTERS}+)?)"
)
# After these, any capitalised word is taken as a name.
_NAMING_CUES = (
    "my name is", "my name's", "jeg heter", "eg heiter", "eg heter", "mitt navn er",
    "mitt namn er", "navnet mitt er", "namnet mitt er", "navn:", "namn:", "name:",
    "signed", "med vennlig hilsen", "vennlig hilsen", "mvh", "hilsen", "helsing",
    "regards", "best regards", "kind regards", "sincerely",
)  # fmt: skip
# After these, a capitalised word is a likely name ("Hi Chris").
_GREETING_CUES = (
    "hei", "hallo", "heisann", "hi", "hello", "hey", "dear", "kjære",
    "god morgen", "good morning", "good afternoon", "takk", "thanks",
)  # fmt: skip
# After these, only a known given name is taken ("dette er kari nordmann"):
# "This is Amazon" must not become a person.
_INTRODUCING_CUES = ("this is", "dette er", "det er", "i am", "i'm", "her er")


# Every naming or greeting cue holds one of these words, and an introducing cue
# is only followed by a known given name: without either, no cue can fire.
_CUE_WORDS = frozenset(
    [
        "name",
        "name's",
        "navn",
        "namn",
        "heter",
        "heiter",
        "navnet",
        "namnet",
        "signed",
        "hilsen",
        "mvh",
        "helsing",
        "regards",
        "sincerely",
        "hei",
        "hallo",
        "heisann",
        "hi",
        "hello",
        "hey",
        "dear",
        "kjære",
        "morgen",
        "morning",
        "afternoon",
        "takk",
        "thanks",
    ]
)


def _alternatives(cues: tuple[str, ...]) -> str:
    return "|".join(re.escape(cue) for cue in sorted(cues, key=len, reverse=True))


_CUE = re.compile(
    rf"(?<![\w'])(?:(?P<naming>{_alternatives(_NAMING_CUES)})"
    rf"|(?P<greeting>{_alternatives(_GREETING_CUES)})"
    rf"|{_alternatives(_INTRODUCING_CUES)})(?=[ ,])"
)
_MAX_NAME_PARTS = 4


@dataclass(frozen=True)
class NameLists:
    first: frozenset[str]
    surnames: frozenset[str]
    ambiguous: frozenset[str]
    stop: frozenset[str]
    written_forms: frozenset[str]  # given names as capitalised or upper case
    unambiguous: frozenset[str]  # given names that are not also common words


@functools.cache
def load_names() -> NameLists:
    sections: dict[str, set[str]] = {
        "first": set(), "surname": set(), "ambiguous": set(), "stop": set()
    }  # fmt: skip
    folder = resources.files("infrastructure.detection") / "lexicons"
    for language in ("nb", "en"):
        text = (folder / f"names_{language}.txt").read_text(encoding="utf-8")
        for line in text.splitlines():
            kind, _, word = line.strip().partition(" ")
            if kind in sections and word:
                sections[kind].add(word)
    return NameLists(
        first=frozenset(sections["first"]),
        surnames=frozenset(sections["surname"]),
        ambiguous=frozenset(sections["ambiguous"]),
        stop=frozenset(sections["stop"]),
        unambiguous=frozenset(sections["first"] - sections["ambiguous"]),
        written_forms=frozenset(
            form
            for name in sections["first"]
            for form in (name.capitalize(), name.upper(), name.title())
        ),
    )


def find_name_hits(norm: NormalisedText) -> list[Hit]:
    names = load_names()
    text = norm.text
    hits: list[Hit] = []
    covered_until = 0
    capitalised = _CAPITALISED.finditer(text)
    if names.written_forms.isdisjoint(_CAPITALISED.findall(text)):
        capitalised = iter(())  # no known given name: skip the per-word work
    for match in capitalised:
        if match.start() < covered_until:
            continue
        word = match.group()
        lower = word.lower()
        if lower not in names.first or lower in names.stop:
            continue
        all_caps = word.isupper() and len(word) > 1
        end, parts = _extend(text, match.end(), names, all_caps=all_caps)
        if parts > 0:
            hits.append(
                Hit(Category.PERSON, match.start(), end, "person.full_name", 0.85)
            )
            covered_until = end
        elif not all_caps and lower not in names.ambiguous:
            hits.append(
                Hit(Category.PERSON, match.start(), end, "person.given_name", 0.6)
            )
    hits.extend(_titled(text, names))
    words = norm.words
    if not words.isdisjoint(_CUE_WORDS) or not words.isdisjoint(names.unambiguous):
        hits.extend(_cued(norm, names))
    return hits


def _extend(
    text: str,
    position: int,
    names: NameLists,
    *,
    all_caps: bool,
    lowercase: bool = False,
) -> tuple[int, int]:
    """Take following words that look like further names; return the new end
    and how many words were taken."""
    end = position
    parts = 0
    while parts < _MAX_NAME_PARTS:
        following = _NEXT_WORD.match(text, end)
        if following is None:
            break
        word = following.group(1)
        lower = word.lower()
        if lower in names.stop:
            break
        if all_caps:
            fits = word.isupper() and len(word) > 1
        elif lowercase:
            fits = lower in names.surnames or lower in names.first
        else:
            fits = word[0].isupper() and not word.isupper()
        if not fits:
            break
        end = following.end(1)
        parts += 1
    return end, parts


_TITLE_HINTS = ("Dr", "Mr", "Ms", "Miss", "Prof", "Herr", "Fru", "Frk", "Doct", "Dokt")


def _titled(text: str, names: NameLists) -> list[Hit]:
    hits: list[Hit] = []
    if not any(hint in text for hint in _TITLE_HINTS):
        return hits
    for match in _TITLE.finditer(text):
        if match.group(1).lower() in names.stop:
            continue
        end, _ = _extend(text, match.end(1), names, all_caps=False)
        hits.append(Hit(Category.PERSON, match.start(1), end, "person.title", 0.8))
    return hits


def _cued(norm: NormalisedText, names: NameLists) -> list[Hit]:
    hits = []
    text = norm.text
    for match in _CUE.finditer(norm.lower):
        position = match.end()
        if text.startswith(",", position):
            position += 1
        following = _NEXT_WORD.match(text, position)
        if following is None:
            continue
        word = following.group(1)
        lower = word.lower()
        if lower in names.stop:
            continue
        known = lower in names.first
        capitalised = word[0].isupper()
        open_cue = match.group("naming") or match.group("greeting")
        if not known and not (capitalised and open_cue):
            continue
        end, _ = _extend(
            text,
            following.end(1),
            names,
            all_caps=word.isupper() and len(word) > 1,
            lowercase=not capitalised,
        )
        confidence = 0.8 if known or match.group("naming") else 0.55
        hits.append(
            Hit(Category.PERSON, following.start(1), end, "person.cue", confidence)
        )
    return hits
