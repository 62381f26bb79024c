"""TweetSumm importer: customer-support conversations from Twitter (TWCS)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from application.ports import (
    DialogSource,
    ImportedDialog,
    ImportedMessage,
    ImportedSubject,
    ImportItem,
    ImportProblem,
)
from infrastructure.importers.records import (
    BadRecordError,
    as_list,
    as_object,
    existing,
)

_CONVERSATION_ID = re.compile(r"[\w-]{1,100}")
_TWEET_START = re.compile(r"\t(Customer|Agent):\t")
_NUMERIC_MENTION = re.compile(r"@(\d+)\b")
_HANDLE_MENTION = re.compile(r"@([A-Za-z_][A-Za-z0-9_]{0,30})")
_DIRECTIONS = {"Customer": "inbound", "Agent": "outbound"}


class TweetsummSource(DialogSource):
    """Reads the TweetSumm dialog file ({"document": [...]}); each document is a
    conversation id followed by one `\\tCustomer:\\t` or `\\tAgent:\\t` line per
    tweet, where a line without that prefix continues the tweet before it.
    Problems are positioned as "dialogue N", counting from 1."""

    name = "tweetsumm"

    def read(self, path: str) -> Iterator[ImportItem]:
        try:
            documents = _documents(path)
        except BadRecordError as error:
            yield ImportProblem("file", error.reason)
            return
        for number, document in enumerate(documents, start=1):
            try:
                yield _dialog(document)
            except BadRecordError as error:
                yield ImportProblem(f"dialogue {number}", error.reason)

    def estimate(self, path: str) -> int | None:
        try:
            return len(_documents(path))
        except BadRecordError:
            return None


def _documents(path: str) -> list[Any]:
    source = existing(path)
    try:
        loaded = json.loads(source.read_text(encoding="utf-8", errors="replace"))
    except json.JSONDecodeError as error:
        raise BadRecordError(f"malformed JSON at line {error.lineno}") from error
    return as_list(as_object(loaded, "file").get("document"), "document")


@dataclass
class _Tweet:
    speaker: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip()


def _dialog(document: object) -> ImportedDialog:
    if not isinstance(document, str):
        raise BadRecordError("dialogue is not text")
    head, _, rest = document.partition("\n")
    conversation_id = head.strip()
    if not _CONVERSATION_ID.fullmatch(conversation_id):
        raise BadRecordError("missing conversation id")
    tweets = _tweets(rest)
    if not tweets:
        raise BadRecordError("dialogue has no tweets")

    customer = _customer_handle(conversation_id, tweets)
    brand = _brand_handle(tweets)
    messages = tuple(
        _message(conversation_id, number, tweet, customer, brand)
        for number, tweet in enumerate(tweets, start=1)
    )
    return ImportedDialog(
        thread_key=conversation_id,
        channel="twitter",
        subject=ImportedSubject(identities=(("twitter", customer),)),
        messages=messages,
    )


def _tweets(text: str) -> list[_Tweet]:
    tweets: list[_Tweet] = []
    for line in text.split("\n"):
        start = _TWEET_START.match(line)
        if start:
            tweets.append(_Tweet(start.group(1), [line[start.end() :]]))
        elif tweets:
            tweets[-1].lines.append(line)
        elif line.strip():
            raise BadRecordError("text before the first tweet")
    return tweets


def _customer_handle(conversation_id: str, tweets: list[_Tweet]) -> str:
    """TWCS replaced customers' handles by numbers, which agents still address
    ("@115712"); that number is the customer's stable pseudonym. A dialog where
    agents never address anyone falls back to one derived from its id."""
    mentions = Counter(
        number
        for tweet in tweets
        if tweet.speaker == "Agent"
        for number in _NUMERIC_MENTION.findall(tweet.text)
    )
    if mentions:
        return f"twcs-{mentions.most_common(1)[0][0]}"
    return f"tweetsumm-{conversation_id}"


def _brand_handle(tweets: list[_Tweet]) -> str | None:
    mentions = Counter(
        handle
        for tweet in tweets
        if tweet.speaker == "Customer"
        for handle in _HANDLE_MENTION.findall(tweet.text)
    )
    return f"@{mentions.most_common(1)[0][0]}" if mentions else None


def _message(
    conversation_id: str,
    number: int,
    tweet: _Tweet,
    customer: str,
    brand: str | None,
) -> ImportedMessage:
    direction = _DIRECTIONS[tweet.speaker]
    address: str | None = customer if direction == "inbound" else brand
    return ImportedMessage(
        external_id=f"{conversation_id}-{number}",
        direction=direction,
        author=address or "agent",
        author_address=address,
        body=tweet.text,
    )
