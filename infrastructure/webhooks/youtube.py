"""YouTube comments in the polled shape: a `commentThreads.list` response
(`youtube#commentThreadListResponse`) posted by the poller under the generic
signature scheme. Comments by the connected channel itself are the agent's
answers; everyone else's are customers'."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from application.integration_ports import (
    ChannelSecrets,
    UnknownAccountError,
    WebhookBatch,
)
from application.ports import ImportedDialog, ImportedMessage, ImportedSubject
from infrastructure.webhooks.signing import (
    TimestampedWebhook,
    as_list,
    as_mapping,
    from_iso,
    load_json,
    text_of,
)


class YouTubeWebhook(TimestampedWebhook):
    platform = "youtube"
    channel = "youtube"

    def parse(self, secrets: ChannelSecrets, body: bytes) -> WebhookBatch:
        payload = as_mapping(load_json(body), "the body")
        if payload.get("kind") != "youtube#commentThreadListResponse":
            raise UnknownAccountError(secrets.inbox_id, self.platform)
        dialogs = []
        ignored = 0
        for thread in as_list(payload.get("items"), "items"):
            thread = as_mapping(thread, "a comment thread")
            snippet = as_mapping(thread.get("snippet"), "thread snippet")
            channel = text_of(snippet.get("channelId"), "snippet.channelId")
            if channel != secrets.account_id:
                raise UnknownAccountError(secrets.inbox_id, self.platform)
            top = as_mapping(snippet.get("topLevelComment"), "topLevelComment")
            replies = as_mapping(thread.get("replies", {}), "replies")
            comments = [top, *as_list(replies.get("comments"), "replies.comments")]
            messages = [
                self._message(channel, as_mapping(c, "a comment")) for c in comments
            ]
            author = self._author(top)
            if author is None or author[0] == channel:
                ignored += 1  # a thread the channel opened itself has no customer
                continue
            handle, name = author
            dialogs.append(
                ImportedDialog(
                    thread_key=f"youtube/{text_of(thread.get('id'), 'thread id')}",
                    channel=self.channel,
                    subject=ImportedSubject(
                        identities=(("youtube", handle),), name=name or None
                    ),
                    messages=tuple(messages),
                )
            )
        return WebhookBatch(tuple(dialogs), ignored)

    def _author(self, comment: Mapping[str, Any]) -> tuple[str, str] | None:
        snippet = as_mapping(comment.get("snippet"), "comment snippet")
        channel = _author_channel(snippet)
        if not channel:
            return None
        name = text_of(snippet.get("authorDisplayName"), "author", required=False)
        return channel, name

    def _message(self, channel: str, comment: Mapping[str, Any]) -> ImportedMessage:
        snippet = as_mapping(comment.get("snippet"), "comment snippet")
        author_channel = _author_channel(snippet)
        outbound = author_channel == channel
        text = snippet.get("textOriginal", snippet.get("textDisplay"))
        name = text_of(snippet.get("authorDisplayName"), "author", required=False)
        return ImportedMessage(
            external_id=text_of(comment.get("id"), "comment id"),
            direction="outbound" if outbound else "inbound",
            author=name or author_channel or "unknown author",
            author_address=None if outbound else author_channel or None,
            body=text_of(text, "comment text", required=False),
            sent_at=from_iso(snippet.get("publishedAt")),
            in_reply_to=text_of(snippet.get("parentId"), "parentId", required=False)
            or None,
        )


def _author_channel(snippet: Mapping[str, Any]) -> str:
    value = snippet.get("authorChannelId")
    if isinstance(value, dict):
        return text_of(value.get("value"), "authorChannelId", required=False)
    return ""
