"""Texts of the access file, in Norwegian (bokmål) and English."""

from __future__ import annotations

from typing import Final

LABELS: Final[dict[str, dict[str, str]]] = {
    "nb": {
        "title": "Innsyn i personopplysninger",
        "intro": (
            "Dette er opplysningene vi har om deg, samlet fra alle innbokser og "
            "kanaler der identitetene under forekommer (personvernforordningen "
            "artikkel 15). En maskinlesbar kopi ligger i data.json (artikkel 20)."
        ),
        "organisation": "Virksomhet",
        "request": "Forespørsel",
        "submitted": "Mottatt",
        "generated": "Laget",
        "identities": "Identiteter du har bekreftet",
        "proven": "bekreftet",
        "contents": (
            "Arkivet inneholder også denne filen som PDF og de opprinnelige "
            "vedleggene i mappen attachments."
        ),
        "profiles": "Profil",
        "profile_erased": "Profilen er slettet; feltene under vises som [erased].",
        "no_profile": "Vi har ingen kundeprofil knyttet til identitetene dine.",
        "name": "Navn",
        "identity": "Identitet",
        "cases": "Saker og meldinger",
        "case": "Sak",
        "status": "Status",
        "opened": "Åpnet",
        "closed": "Lukket",
        "role_subject": "saken gjelder deg",
        "role_author": "du skrev i saken",
        "case_erased": (
            "Innholdet i denne saken er slettet eller anonymisert. Det som ikke kan "
            "leses lenger, vises som [erased]."
        ),
        "withheld": (
            "%d meldinger i denne saken er skrevet av andre og gjelder dem; de er "
            "holdt tilbake."
        ),
        "tags": "Merkelapper",
        "inbound": "Fra deg",
        "outbound": "Fra oss",
        "attachment": "Vedlegg",
        "no_cases": "Vi fant ingen saker eller meldinger for identitetene dine.",
        "external": "Opplysninger fra andre systemer",
        "no_external": "Ingen andre systemer har levert opplysninger om deg.",
        "source_gap": "Kunne ikke hente fra",
        "log": "Hvem har sett opplysningene dine",
        "log_intro": (
            "Hver gang noen hos oss har åpnet, videresendt eller eksportert saker "
            "om deg, er det registrert. Ansatte vises med et internt nummer."
        ),
        "when": "Tidspunkt",
        "action": "Handling",
        "who": "Hvem",
        "purpose": "Formål",
        "country": "Land",
        "rights": "Dine rettigheter",
        "rights_text": (
            "Du kan be om retting eller sletting, protestere mot behandlingen og "
            "klage til Datatilsynet (datatilsynet.no)."
        ),
        "att_included": "vedlagt i arkivet",
        "att_image": "vist over og vedlagt i arkivet",
        "att_erased": "slettet: innholdet finnes ikke lenger",
        "att_too_large": "for stor til å legges i arkivet; be oss om den",
        "att_mismatch": "innholdet stemmer ikke med oppgitt type (ser ut som %s); "
        "vedlagt uendret, åpne med forsiktighet",
    },
    "en": {
        "title": "Your personal data",
        "intro": (
            "This is the data we hold about you, gathered from every inbox and "
            "channel where the identities below appear (GDPR article 15). A "
            "machine-readable copy is in data.json (article 20)."
        ),
        "organisation": "Organisation",
        "request": "Request",
        "submitted": "Received",
        "generated": "Generated",
        "identities": "Identities you proved",
        "proven": "proven",
        "contents": (
            "The archive also holds this document as PDF and the original "
            "attachments in the folder attachments."
        ),
        "profiles": "Profile",
        "profile_erased": "The profile was erased; its fields read [erased].",
        "no_profile": "We hold no customer profile for your identities.",
        "name": "Name",
        "identity": "Identity",
        "cases": "Cases and messages",
        "case": "Case",
        "status": "Status",
        "opened": "Opened",
        "closed": "Closed",
        "role_subject": "the case is about you",
        "role_author": "you wrote in this case",
        "case_erased": (
            "This case's content was erased or anonymised. What can no longer be "
            "read is shown as [erased]."
        ),
        "withheld": (
            "%d messages in this case were written by other people and concern "
            "them; they are withheld."
        ),
        "tags": "Tags",
        "inbound": "From you",
        "outbound": "From us",
        "attachment": "Attachment",
        "no_cases": "We found no cases or messages for your identities.",
        "external": "Data from other systems",
        "no_external": "No other system returned data about you.",
        "source_gap": "Could not fetch from",
        "log": "Who has seen your data",
        "log_intro": (
            "Every time someone here opened, forwarded or exported cases about "
            "you, it was recorded. Staff are shown by an internal number."
        ),
        "when": "When",
        "action": "Action",
        "who": "Who",
        "purpose": "Purpose",
        "country": "Country",
        "rights": "Your rights",
        "rights_text": (
            "You can ask for correction or erasure, object to the processing and "
            "complain to your data protection authority."
        ),
        "att_included": "included in the archive",
        "att_image": "shown above and included in the archive",
        "att_erased": "erased: the content no longer exists",
        "att_too_large": "too large for the archive; ask us for it",
        "att_mismatch": "content does not match the declared type (looks like %s); "
        "included unchanged, open with care",
    },
}
