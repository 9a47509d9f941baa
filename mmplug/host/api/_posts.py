"""Post rules shared by the post areas: validation, hashtags, post lists, search matching."""

from __future__ import annotations

import re
import sqlite3

from mmplug.host.api._entities import find_post, post_from_row
from mmplug.host.api._registry import ApiFailure
from mmplug.protocol import post_pb2

MESSAGE_MAX = 16383
HASHTAGS_MAX = 1000
EPHEMERAL_TYPE = "system_ephemeral"
_HASHTAG = re.compile(r"^#[^\W\d_][\w.-]*[^\W_]$")
_WORD = re.compile(r"[\w#@.-]+")


def parse_hashtags(message: str) -> str:
    """The server's ``ParseHashtags``: distinct ``#tags`` (letter first, >= 3 chars), space
    separated, at most 1000 characters."""
    tags: list[str] = []
    for word in message.split():
        word = word.strip(",;:!?()[]{}\"'`").rstrip(".")
        if _HASHTAG.match(word) and word not in tags:
            tags.append(word)
    text = ""
    for tag in tags:
        if len(text) + len(tag) + 1 > HASHTAGS_MAX:
            break
        text = f"{text} {tag}" if text else tag
    return text


def check_message(post: post_pb2.Post) -> None:
    if len(post.message) > MESSAGE_MAX:
        raise ApiFailure(
            400,
            "model.post.is_valid.message_length.app_error",
            f"Message is too long: at most {MESSAGE_MAX} characters.",
            detailed_error=f"length={len(post.message)}",
            where="Post.IsValid",
        )


def check_root(db: sqlite3.Connection, post: post_pb2.Post) -> post_pb2.Post | None:
    """The thread root of a reply: it must exist, be a root, and be in the same channel."""
    if not post.root_id:
        return None
    root = find_post(db, post.root_id)
    if root is None or root.channel_id != post.channel_id or root.root_id:
        raise ApiFailure(
            400,
            "api.post.create_post.root_id.app_error",
            "Invalid RootId parameter: the root post must exist, be a thread root, and be in "
            "the same channel.",
            detailed_error=f"root_id={post.root_id}",
        )
    return root


def rejected(reason: str, where: str) -> ApiFailure:
    """The server's answer to a post rejected by a plugin's Will hook."""
    dismiss = "plugin.message_will_be_posted.dismiss_post"
    error_id = dismiss if reason == dismiss else f"Post rejected by plugin. {reason}"
    return ApiFailure(400, error_id, error_id, where=where, params={"Reason": reason})


def post_list(
    db: sqlite3.Connection, rows: list[sqlite3.Row], *, with_roots: bool = True
) -> post_pb2.PostList:
    """A PostList: ``order`` as given (newest first), ``posts`` also holding reply roots."""
    result = post_pb2.PostList()
    for row in rows:
        post = post_from_row(row)
        result.order.append(post.id)
        result.posts[post.id].CopyFrom(post)
    if with_roots:
        for post in list(result.posts.values()):
            if post.root_id and post.root_id not in result.posts:
                root = find_post(db, post.root_id, include_deleted=True)
                if root is not None:
                    result.posts[root.id].CopyFrom(root)
    return result


def matches_terms(message: str, hashtags: str, terms: list[str], any_term: bool) -> bool:
    """Search matching: words (``prefix*`` for a prefix), ``"phrases"`` and ``#hashtags``."""
    if not terms:
        return True
    words = {w.lower().strip(".-") for w in _WORD.findall(message)}
    tags = {t.lower() for t in hashtags.split()}
    lowered = message.lower()

    def hit(term: str) -> bool:
        term = term.lower()
        if term.startswith('"') and term.endswith('"') and len(term) > 1:
            return term.strip('"') in lowered
        if term.startswith("#"):
            return term in tags
        if term.endswith("*"):
            return any(w.startswith(term[:-1]) for w in words)
        return term in words

    results = [hit(t) for t in terms]
    return any(results) if any_term else all(results)


def split_terms(text: str) -> list[str]:
    """Search terms, keeping ``"quoted phrases"`` together."""
    return [m.group(0) for m in re.finditer(r'"[^"]*"|\S+', text)]


def terms_prefilter(terms: list[str], any_term: bool) -> tuple[str, list[object]]:
    """A cheap SQL ``LIKE`` pre-filter over ``p.data`` for :func:`matches_terms` (a superset
    of its matches). Non-ASCII terms are left to Python (SQLite lower-cases ASCII only)."""
    conditions: list[str] = []
    args: list[object] = []
    for term in terms:
        text = term.lower().strip('"').rstrip("*")
        if not text or not text.isascii():
            if any_term:
                return "", []  # one unfilterable alternative: no pre-filter at all
            continue
        column = "$.hashtags" if text.startswith("#") else "$.message"
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(
            f"lower(coalesce(json_extract(p.data, '{column}'), '')) LIKE ? ESCAPE '\\'"
        )
        args.append(f"%{escaped}%")
    if not conditions:
        return "", []
    return "(" + (" OR " if any_term else " AND ").join(conditions) + ")", args
