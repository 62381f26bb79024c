"""Incoming HTML mail made safe to show an agent, with ammonia (through nh3).

An allow-list of tags and attributes: no scripts, styles, frames, forms or event
handlers survive. Every image loses its source, because a remote one tells the
sender that and when the mail was opened, and from where; the count of remote
ones is returned so the agent sees a note about what was held back.
"""

from __future__ import annotations

import nh3

from application.outbound_ports import HtmlSanitiser, SafeHtml

_REMOTE_PREFIXES = ("http:", "https:", "//", "ftp:")
_IMAGE_SOURCES = frozenset({("img", "src"), ("img", "srcset")})
_MAX_INPUT = 2_000_000


class AmmoniaHtmlSanitiser(HtmlSanitiser):
    def clean(self, html: str) -> SafeHtml:
        blocked = 0

        def keep_attribute(tag: str, attribute: str, value: str) -> str | None:
            nonlocal blocked
            if (tag, attribute) in _IMAGE_SOURCES:
                if value.strip().lower().startswith(_REMOTE_PREFIXES):
                    blocked += 1
                return None
            return value

        try:
            cleaned = nh3.clean(
                html[:_MAX_INPUT],
                attribute_filter=keep_attribute,
                url_schemes={"http", "https", "mailto", "tel"},
            )
        except Exception:
            cleaned = ""
        return SafeHtml(cleaned, blocked)
