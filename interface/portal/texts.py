"""Portal texts in Norwegian (bokmål) and English."""

from __future__ import annotations

from typing import Final

TEXTS: Final[dict[str, dict[str, str]]] = {
    "nb": {
        "title": "Innsyn i opplysningene dine",
        "skip": "Hopp til innholdet",
        "other_language": "English",
        "start_intro": (
            "Her kan du be om innsyn i alt {org} har lagret om deg (GDPR art. 15). "
            "Du bekrefter hver e-postadresse og hver konto på sosiale medier du har "
            "brukt mot oss, og får én fil med alt."
        ),
        "start_button": "Start en forespørsel",
        "keep_link": (
            "Ta vare på adressen til denne siden: den er nøkkelen til forespørselen "
            "din. Vi sender den også til e-postadressene du bekrefter."
        ),
        "status": "Status",
        "due": "Frist for svar",
        "identities": "Identitetene dine",
        "proven": "bekreftet",
        "not_proven": "ikke bekreftet",
        "code_label": "Kode",
        "prove_button": "Bekreft",
        "resend_button": "Send ny kode",
        "add_heading": "Legg til en identitet",
        "kind_label": "Kanal",
        "value_label": "E-postadresse eller brukernavn",
        "add_hint": (
            "Har du brukt chat eller et nettskjema, oppgir du e-postadressen du "
            "skrev der."
        ),
        "add_button": "Legg til og send kode",
        "submit_heading": "Ferdig?",
        "submit_text": (
            "Når du har bekreftet alle identitetene, sender du forespørselen."
        ),
        "submit_button": "Send forespørselen",
        "download_heading": "Filen din",
        "download_text": (
            "Filen er kryptert. Passordet får du fra oss på annen måte enn denne "
            "siden. Lenken virker til {date}."
        ),
        "download_button": "Last ned filen",
        "rejected": "Forespørselen ble avvist",
        "state_submitted": "startet",
        "state_verifying": "venter på bekreftelse",
        "state_ready_for_review": "sendt, til behandling",
        "state_approved": "godkjent, filen er klar",
        "state_delivered": "levert",
        "state_rejected": "avvist",
        "m_code_sent": "Vi har sendt en kode. Den gjelder i 15 minutter.",
        "m_proven": "Identiteten er bekreftet.",
        "m_submitted": "Takk! Forespørselen er sendt til behandling.",
        "m_wrong_code": "Koden stemmer ikke.",
        "m_code_expired": "Koden er utløpt. Be om en ny.",
        "m_code_already_used": "Koden er allerede brukt.",
        "m_too_many_wrong_attempts": "For mange feil forsøk. Be om en ny kode.",
        "m_no_code_was_sent": "Ingen kode er sendt ennå.",
        "m_rate": "For mange koder på kort tid. Vent en time og prøv igjen.",
        "m_invalid": "Det ser ikke ut som en gyldig identitet for den kanalen.",
        "m_conflict": "Det går ikke akkurat nå: {detail}",
        "m_gone": "Lenken til filen er utløpt eller trukket tilbake.",
        "m_csrf": "Skjemaet var utløpt. Prøv igjen.",
        "not_found": "Fant ikke siden.",
        "email": "E-post",
    },
    "en": {
        "title": "See the data we hold about you",
        "skip": "Skip to content",
        "other_language": "Norsk",
        "start_intro": (
            "Here you can ask for everything {org} holds about you (GDPR art. 15). "
            "You prove each e-mail address and social media account you used with "
            "us, and get one file with all of it."
        ),
        "start_button": "Start a request",
        "keep_link": (
            "Keep this page's address: it is the key to your request. We also "
            "send it to the e-mail addresses you prove."
        ),
        "status": "Status",
        "due": "Answer due by",
        "identities": "Your identities",
        "proven": "proven",
        "not_proven": "not proven",
        "code_label": "Code",
        "prove_button": "Prove",
        "resend_button": "Send a new code",
        "add_heading": "Add an identity",
        "kind_label": "Channel",
        "value_label": "E-mail address or handle",
        "add_hint": (
            "If you used chat or a web form, give the e-mail address you wrote there."
        ),
        "add_button": "Add and send a code",
        "submit_heading": "Done?",
        "submit_text": "When you have proven all your identities, send the request.",
        "submit_button": "Send the request",
        "download_heading": "Your file",
        "download_text": (
            "The file is encrypted. We give you the password another way than "
            "this page. The link works until {date}."
        ),
        "download_button": "Download the file",
        "rejected": "The request was rejected",
        "state_submitted": "started",
        "state_verifying": "waiting for proof",
        "state_ready_for_review": "sent, being handled",
        "state_approved": "approved, the file is ready",
        "state_delivered": "delivered",
        "state_rejected": "rejected",
        "m_code_sent": "We sent a code. It is valid for 15 minutes.",
        "m_proven": "The identity is proven.",
        "m_submitted": "Thank you! The request is being handled.",
        "m_wrong_code": "The code is wrong.",
        "m_code_expired": "The code has expired. Ask for a new one.",
        "m_code_already_used": "The code was used already.",
        "m_too_many_wrong_attempts": "Too many wrong attempts. Ask for a new code.",
        "m_no_code_was_sent": "No code was sent yet.",
        "m_rate": "Too many codes in a short time. Wait an hour and try again.",
        "m_invalid": "That does not look like a valid identity for that channel.",
        "m_conflict": "That is not possible right now: {detail}",
        "m_gone": "The link to the file has expired or was revoked.",
        "m_csrf": "The form had expired. Please try again.",
        "not_found": "Page not found.",
        "email": "E-mail",
    },
}

CHANNEL_NAMES: Final = {
    "email": "E-mail / e-post",
    "facebook": "Facebook",
    "twitter": "X (Twitter)",
    "instagram": "Instagram",
    "youtube": "YouTube",
}
