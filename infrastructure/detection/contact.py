"""Ordinary personal data: e-mail, IP, street address, postcode, date of birth."""

from __future__ import annotations

import ipaddress
import re

from domain.sensitivity import Category
from infrastructure.detection.hits import Hit
from infrastructure.detection.normalise import NormalisedText

# --- e-mail ------------------------------------------------------------------

_LOCAL_PART_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-'æøåÆØÅ"
)
_DOMAIN_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-æøåÆØÅ"
)
_MAX_LOCAL_PART = 64
_MAX_DOMAIN = 255


def find_email_hits(norm: NormalisedText) -> list[Hit]:
    """Expand outwards from each "@", so the cost stays linear whatever the text
    (a backtracking pattern is quadratic on long runs of address characters)."""
    text = norm.text
    hits: list[Hit] = []
    at = text.find("@")
    while at != -1:
        start = at
        while (
            start > 0
            and at - start < _MAX_LOCAL_PART
            and text[start - 1] in _LOCAL_PART_CHARS
        ):
            start -= 1
        while start < at and text[start] in ".'":
            start += 1
        end = at + 1
        while (
            end < len(text) and end - at <= _MAX_DOMAIN and text[end] in _DOMAIN_CHARS
        ):
            end += 1
        while end > at + 1 and text[end - 1] in ".-":
            end -= 1
        if start < at and _plausible_domain(text[at + 1 : end]):
            hits.append(Hit(Category.EMAIL_ADDRESS, start, end, "email.pattern", 0.95))
        at = text.find("@", max(end, at + 1))
    return hits


def _plausible_domain(domain: str) -> bool:
    labels = domain.split(".")
    if len(labels) < 2 or any(not label for label in labels):
        return False
    top_level = labels[-1]
    return top_level.isalpha() and 2 <= len(top_level) <= 24


# --- IP addresses ------------------------------------------------------------

_IPV4 = re.compile(
    r"[0-9](?<![0-9.].)[0-9]{0,2}\.(?:[0-9]{1,3}\.){2}[0-9]{1,3}(?![0-9]|\.[0-9])",
    re.ASCII,
)
_IPV6 = re.compile(
    r"(?<![0-9A-Za-z:])(?=[0-9A-Fa-f:]*:[0-9A-Fa-f]*:)[0-9A-Fa-f:]{2,39}"
    r"(?:(?:\.[0-9]{1,3}){3})?(?![0-9A-Za-z:])",
    re.ASCII,
)


_DOTTED_DIGITS = re.compile(r"[0-9]\.[0-9]")
_HEX_COLON = re.compile(r"[0-9A-Fa-f]?::?[0-9A-Fa-f]")


def find_ip_hits(norm: NormalisedText) -> list[Hit]:
    hits: list[Hit] = []
    text = norm.text
    ipv4 = _IPV4.finditer(text) if _DOTTED_DIGITS.search(text) else ()
    for match in ipv4:
        try:
            ipaddress.IPv4Address(match.group())
        except ValueError:
            continue
        hits.append(Hit(Category.IP_ADDRESS, match.start(), match.end(), "ip.v4", 0.85))
    if _HEX_COLON.search(text):
        for match in _IPV6.finditer(text):
            candidate = match.group()
            if sum(char.isalnum() for char in candidate) < 4:
                continue
            try:
                ipaddress.IPv6Address(candidate)
            except ValueError:
                continue
            hits.append(
                Hit(Category.IP_ADDRESS, match.start(), match.end(), "ip.v6", 0.85)
            )
    return hits


# --- street addresses and postcodes -----------------------------------------

_UPPER = "A-ZÆØÅÄÖÜÉ"
_LOWER = "a-zæøåäöüé"
_NORWEGIAN_STREET_SUFFIX = (
    "gata|gaten|gate|gt\\.|veien|vegen|vei|veg|plass|plassen|allé|alle|stien|"
    "stubben|bakken|ringen|torget|torg|brygga|brygge|kaia|svingen|haugen|lia|"
    "åsen|tunet|jordet|løkka|lunden|kroken|grenda|tråkket|gården|hagen|dalen"
)
_NORWEGIAN_STREET = re.compile(
    rf"(?<![{_UPPER}{_LOWER}])"
    rf"(?:[{_UPPER}][{_LOWER}]+\.? ){{0,2}}"
    rf"(?:[{_UPPER}][{_LOWER}]*(?:{_NORWEGIAN_STREET_SUFFIX})"
    rf"|[{_UPPER}][{_LOWER}]+s? (?:gate|vei|veg|plass|allé))"
    rf" [0-9]{{1,4}}(?: ?[A-Za-z](?![{_LOWER}]))?(?![0-9])"
)
# Every Norwegian street address has a word followed by a house number; without
# one the costlier street pattern need not run.
_WORD_THEN_NUMBER = re.compile(rf"[{_LOWER}.] [0-9]{{1,4}}(?![0-9])")
_ENGLISH_STREET = re.compile(
    rf"[0-9](?<![0-9].)[0-9]{{0,4}}[A-Za-z]? (?:[{_UPPER}][{_LOWER}]+ ){{1,3}}"
    r"(?:(?:Street|Road|Avenue|Lane|Drive|Boulevard|Way|Court|Place|Terrace|"
    r"Square|Crescent|Close|Highway|Parkway|Circle|Row|Mews|Gardens|Hill|Grove|"
    r"Park)\b|(?:St|Rd|Ave|Ln|Dr|Blvd|Ct|Pl|Sq|Hwy)\b\.?)"
)
_POSTCODE = re.compile(
    rf"[0-9](?<![0-9.,\-].)[0-9]{{3}} (?:[{_UPPER}]{{2,}}|[{_UPPER}][{_LOWER}]+)"
    rf"(?: (?:[{_UPPER}][{_LOWER}]+|[{_UPPER}]{{2,}}))?"
)
_POSTCODE_CUE_BEFORE = re.compile(r"(?:,|\n|postboks [0-9]+|[0-9][A-Za-z]?) ?$")


def _words(text: str) -> list[str]:
    return text.split()


# Well-known Norwegian post towns: a postcode followed by one of them needs no
# other cue. Hand-picked by gdprkit; deliberately short.
_POST_TOWNS = frozenset(
    _words(
        """oslo bergen trondheim stavanger drammen fredrikstad kristiansand sandnes
    tromsø sarpsborg skien ålesund sandefjord haugesund tønsberg moss porsgrunn
    bodø arendal hamar larvik halden lillehammer molde harstad kongsberg gjøvik
    horten narvik kristiansund alta lillestrøm jessheim ski asker sandvika
    lysaker bærum nesoddtangen hønefoss elverum steinkjer levanger namsos mo
    leknes svolvær kirkenes vadsø hammerfest førde florø leikanger sogndal
    voss stord leirvik os kopervik egersund bryne jørpeland mandal flekkefjord
    grimstad lyngdal kragerø notodden rjukan drøbak vestby ås kolbotn oppegård
    strømmen lørenskog nittedal kongsvinger brumunddal raufoss fagernes
    orkanger stjørdal melhus verdal røros oppdal"""
    )
)


def find_address_hits(norm: NormalisedText) -> list[Hit]:
    text = norm.text
    hits: list[Hit] = []
    norwegian_streets = (
        _NORWEGIAN_STREET.finditer(text) if _WORD_THEN_NUMBER.search(text) else ()
    )
    for match in norwegian_streets:
        hits.append(
            Hit(Category.STREET_ADDRESS, match.start(), match.end(), "address.no", 0.8)
        )
    for match in _ENGLISH_STREET.finditer(text):
        hits.append(
            Hit(Category.STREET_ADDRESS, match.start(), match.end(), "address.en", 0.75)
        )
    for match in _POSTCODE.finditer(text):
        code = match.group()[:4]
        town = match.group()[5:].split(" ")[0].lower()
        cued = _POSTCODE_CUE_BEFORE.search(
            text, max(0, match.start() - 24), match.start()
        )
        if code == "0000" or (town not in _POST_TOWNS and cued is None):
            continue
        hits.append(
            Hit(Category.POSTAL_CODE, match.start(), match.end(), "postcode.no", 0.75)
        )
    return hits


# --- dates of birth ----------------------------------------------------------

_MONTHS = (
    "januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|"
    "desember|january|february|march|may|june|july|october|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|okt|oct|nov|des|dec"
)
_DATE = (
    r"(?:[0-9]{1,2}[./\-][0-9]{1,2}[./\-](?:[0-9]{4}|[0-9]{2})(?![0-9])"
    r"|[0-9]{4}-[0-9]{2}-[0-9]{2}"
    rf"|[0-9]{{1,2}}\.? (?:{_MONTHS})\.? [0-9]{{4}}"
    rf"|(?:{_MONTHS})\.? [0-9]{{1,2}}(?:st|nd|rd|th)?,? [0-9]{{4}})"
)
_BIRTH_CUE = (
    r"(?:født|fødd|f\.|dob|d\.o\.b\.?|date of birth|birth date|birthdate|born|"
    r"fødselsdato|fødselsdag|bursdag|birthday|fødd den|født den)"
)
_DATE_OF_BIRTH = re.compile(
    rf"(?<![\w.]){_BIRTH_CUE}:? ?(?:is |er |den |on |the |in )?(?P<date>{_DATE})",
    re.IGNORECASE,
)


_BIRTH_HINTS = ("født", "fødd", "f.", "dob", "d.o.b", "birth", "born", "bursdag")


def find_birth_date_hits(norm: NormalisedText) -> list[Hit]:
    if not any(hint in norm.lower for hint in _BIRTH_HINTS):
        return []
    return [
        Hit(
            Category.DATE_OF_BIRTH,
            match.start("date"),
            match.end("date"),
            "date_of_birth.cue",
            0.85,
        )
        for match in _DATE_OF_BIRTH.finditer(norm.text)
    ]
