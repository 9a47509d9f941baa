"""Post rules shared by the post areas: validation, hashtags, post lists, search matching."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from google.protobuf import json_format

from mmplug.host.api._entities import (
    channel_from_row,
    find_member,
    find_post,
    find_user,
    post_from_row,
)
from mmplug.host.api._pbjson import go_json_text, model_dict, to_dict
from mmplug.host.api._registry import ApiContext, ApiFailure
from mmplug.host.api.config import server_setting
from mmplug.host.api.server_info import minimum_enterprise_advanced_license
from mmplug.protocol import channel_pb2, post_pb2

MESSAGE_MAX = 16383  # model.PostMessageMaxRunesV2, the limit of every current database
HASHTAGS_MAX = 1000
FILE_IDS_JSON_MAX = 300  # model.PostFileidsMaxRunes: the JSON array of ids, so 10 files
PROPS_JSON_MAX = 800000
EPHEMERAL_TYPE = "system_ephemeral"
BURN_ON_READ_TYPE = "burn_on_read"  # model.PostTypeBurnOnRead
_HASHTAG = re.compile(r"^#[^\W\d_][\w.-]*[^\W_]$")
_WORD = re.compile(r"[\w#@.-]+")
_CHANNEL_MENTION = re.compile(r"\B~([a-zA-Z0-9_-]+)", re.ASCII)  # Go's \B is ASCII-only
# The types Post.IsValid accepts besides "" and the "custom_" prefix of plugin post types.
KNOWN_TYPES = frozenset(
    {
        "slack_attachment", "system_generic", "system_join_leave", "system_join_channel",
        "system_guest_join_channel", "system_leave_channel", "system_join_team",
        "system_leave_team", "system_auto_responder", "system_autotranslation",
        "system_add_remove", "system_add_to_channel", "system_add_guest_to_chan",
        "system_remove_from_channel", "system_move_channel", "system_add_to_team",
        "system_remove_from_team", "system_team_abac_removal", "system_team_abac_addition",
        "system_header_change", "system_displayname_change", "system_convert_channel",
        "system_purpose_change", "system_channel_deleted", "system_channel_restored",
        "system_change_chan_privacy", "system_wrangler", "system_gm_to_channel",
        "system_shared_chan_state", "add_bot_teams_channels", "me", "reminder",
        "burn_on_read", "card",
    }
)  # fmt: skip
# Posts that do not count in a channel's message totals (Post.IsJoinLeaveMessage).
JOIN_LEAVE_TYPES = frozenset(
    {
        "system_join_leave", "system_add_remove", "system_join_channel",
        "system_leave_channel", "system_join_team", "system_leave_team",
        "system_add_to_channel", "system_remove_from_channel", "system_add_to_team",
        "system_remove_from_team",
    }
)  # fmt: skip
# Props only the server may set: dropped from what a caller sends (Post.SanitizeProps).
_SANITIZED_PROPS = ("add_channel_member", "force_notification")
CURRENT_TEAM_PROP = "current_team_id"  # model.PostPropsCurrentTeamId
AI_GENERATED_BY_PROP = "ai_generated_by"  # model.PostPropsAIGeneratedByUserID
AI_GENERATED_BY_NAME_PROP = "ai_generated_by_username"  # model.PostPropsAIGeneratedByUsername


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


def setting(ctx: ApiContext, section: str, key: str, default: Any) -> Any:
    """One server setting (``ServiceSettings.EnablePostSearch``), or the server's default."""
    with ctx.store.read() as db:
        return server_setting(db, section, key, default)


# The fields of the server's Post that its JSON leaves out when they are empty (omitempty).
_POST_OMITEMPTY = frozenset({"message_source", "has_reactions", "remote_id", "is_following",
                             "metadata"})


def post_json(post: post_pb2.Post, metadata: dict[str, Any] | None = None) -> str:
    """The post as the server puts it into its ``posted``, ``post_edited`` and
    ``post_deleted`` events: the JSON text of the whole model (``Post.ToJSON``). A saved post's
    ``file_ids`` is a list, ``[]`` when it has none (``Post.PreCommit``). ``metadata``: the
    metadata the server prepared for clients, instead of the post's own."""
    model = model_dict(post, _POST_OMITEMPTY, file_ids=list(post.file_ids))
    if metadata is not None:
        model["metadata"] = metadata
    return json.dumps(model, separators=(",", ":"))


def for_plugin(post: post_pb2.Post) -> post_pb2.Post:
    """A copy as the server hands posts to plugins (``Post.ForPlugin``): no metadata."""
    copy = post_pb2.Post()
    copy.CopyFrom(post)
    copy.ClearField("metadata")
    return copy


def sanitize_props(post: post_pb2.Post) -> None:
    for key in _SANITIZED_PROPS:
        if key in post.props:
            del post.props[key]


def _invalid(field: str, message: str, post: post_pb2.Post, **params: Any) -> ApiFailure:
    return ApiFailure(
        400,
        f"model.post.is_valid.{field}.app_error",
        message,
        detailed_error=f"id={post.id}",
        where="Post.IsValid",
        params=params,
    )


def validate_post(post: post_pb2.Post) -> None:
    """``Post.IsValid`` for what a caller controls: message length (runes), hashtags, type,
    file ids and props size. The server runs it when it saves, after the Will hooks."""
    if len(post.message) > MESSAGE_MAX:
        raise _invalid(
            "message_length",
            f"Message is too long: {len(post.message)} characters, at most {MESSAGE_MAX}.",
            post,
            Length=len(post.message),
            MaxLength=MESSAGE_MAX,
        )
    if len(post.hashtags) > HASHTAGS_MAX:
        raise _invalid("hashtags", f"Hashtags are over {HASHTAGS_MAX} characters.", post)
    if post.type and post.type not in KNOWN_TYPES and not post.type.startswith("custom_"):
        raise _invalid(
            "type",
            f"Invalid post type {post.type!r}: a plugin's own post types start with "
            "'custom_' (e.g. 'custom_poll').",
            post,
        )
    if len(json.dumps(list(post.file_ids), separators=(",", ":"))) > FILE_IDS_JSON_MAX:
        raise _invalid("file_ids", "Too many file ids: a post holds at most 10 files.", post)
    props = go_json_text(json_format.MessageToDict(post.props))  # the runes of Go's JSON
    if len(props) > PROPS_JSON_MAX:
        raise _invalid("props", f"Props are over {PROPS_JSON_MAX} characters as JSON.", post)


def dedupe_file_ids(post: post_pb2.Post) -> None:
    """``Post.PreCommit``: a file id listed twice is kept once."""
    unique = list(dict.fromkeys(post.file_ids))
    if len(unique) != len(post.file_ids):
        del post.file_ids[:]
        post.file_ids.extend(unique)


def generate_action_ids(ctx: ApiContext, post: post_pb2.Post) -> None:
    """``Post.GenerateActionIds``: each button (an entry of an attachment's ``actions``) of
    ``props.attachments`` that has no id gets a new one; ids already there stay."""
    if not post.HasField("props") or "attachments" not in post.props:
        return
    attachments = json_format.MessageToDict(post.props).get("attachments")
    if not isinstance(attachments, list):
        return
    changed = False
    for attachment in attachments:
        buttons = attachment.get("actions") if isinstance(attachment, dict) else None
        for action in buttons if isinstance(buttons, list) else []:
            if isinstance(action, dict) and not action.get("id"):
                action["id"] = ctx.new_id()
                changed = True
    if changed:
        post.props["attachments"] = attachments


def pre_commit(ctx: ApiContext, post: post_pb2.Post) -> None:
    """``Post.PreCommit``, run by the server's store on every post it saves (a new post, an
    edit and the old version an edit keeps): file ids deduplicated, button ids generated."""
    dedupe_file_ids(post)
    generate_action_ids(ctx, post)


def count_replies(db: sqlite3.Connection, post: post_pb2.Post) -> post_pb2.Post:
    """``post`` with ``reply_count`` as the server's store counts it when it reads a post (the
    count is not stored): the live replies of its thread, the same for the root and for each
    reply. Returns ``post``."""
    row = db.execute(
        "SELECT count(*) FROM posts WHERE root_id=? AND delete_at=0 AND ephemeral=0",
        (post.root_id or post.id,),
    ).fetchone()
    post.reply_count = int(row[0])
    return post


def check_root(
    db: sqlite3.Connection, post: post_pb2.Post, *, as_user: bool = False
) -> post_pb2.Post | None:
    """The thread root of a reply: it must exist (not deleted), be a root, and be in the
    same channel. A root in another channel is a 500 for plugins (the server's CreatePost);
    only the web app's path (``as_user``) turns it into a 400."""
    if not post.root_id:
        return None
    root = find_post(db, post.root_id)
    if root is None or root.root_id:
        raise ApiFailure(
            400,
            "api.post.create_post.root_id.app_error",
            "Invalid RootId parameter: the root post must exist and be a thread root "
            "(reply to the root, not to a reply).",
            detailed_error=f"root_id={post.root_id}",
        )
    if root.channel_id != post.channel_id:
        raise ApiFailure(
            400 if as_user else 500,
            "api.post.create_post.channel_root_id.app_error",
            "Invalid ChannelId for RootId parameter: the root post is in another channel.",
            detailed_error=f"root_id={post.root_id} channel_id={post.channel_id}",
        )
    if root.type == BURN_ON_READ_TYPE:
        raise ApiFailure(
            400,
            "api.post.create_post.burn_on_read.app_error",
            "Cannot reply to a burn-on-read post.",
            detailed_error=f"root_id={post.root_id}",
        )
    return root


def fill_in_post_props(
    db: sqlite3.Connection, post: post_pb2.Post, channel: channel_pb2.Channel
) -> None:
    """``FillInPostProps``: ``channel_mentions`` for the ``~channel`` mentions (of the
    message and its attachments) the poster may resolve (public channels of the team,
    private ones they belong to); a caller's own
    ``channel_mentions`` prop is replaced (or dropped when nothing resolves). In a channel
    without a team (direct, group) a ``current_team_id`` prop names the team to look in; it
    is dropped once the message has mentions. An ``ai_generated_by`` prop naming the poster
    or a bot gets ``ai_generated_by_username``, one naming an unknown user is dropped, and
    one naming any other user is refused (400)."""
    props = to_dict(post.props) if post.HasField("props") else {}
    names = _channel_mentions(post.message, props.get("attachments"))
    team_id = channel.team_id
    current_team = props.get(CURRENT_TEAM_PROP)
    if not team_id and isinstance(current_team, str):
        team_id = current_team
    if names and CURRENT_TEAM_PROP in post.props:
        del post.props[CURRENT_TEAM_PROP]
    mentions: dict[str, Any] = {}
    for name in names:
        sql = "SELECT c.data, t.name AS team_name FROM channels c JOIN teams t ON t.id=c.team_id "
        sql += "WHERE c.name=? AND c.delete_at=0"
        args: list[object] = [name]
        if team_id:
            sql, args = sql + " AND c.team_id=?", [*args, team_id]
        for row in db.execute(sql + " ORDER BY c.id", args):
            mentioned = channel_from_row(row)
            if (
                mentioned.type != channel_pb2.CHANNEL_TYPE_OPEN
                and find_member(db, mentioned.id, post.user_id) is None
            ):
                continue
            mentions[mentioned.name] = {
                "display_name": mentioned.display_name,
                "team_name": row["team_name"],
                "id": mentioned.id,
            }
            break
    if mentions:
        post.props["channel_mentions"] = mentions
    elif "channel_mentions" in post.props:
        del post.props["channel_mentions"]
    _fill_in_ai_generated_by(db, post, props.get(AI_GENERATED_BY_PROP))
    if post.type == BURN_ON_READ_TYPE:
        _check_burn_on_read_allowed(db)


def _channel_mentions(message: str, attachments: Any) -> list[str]:
    """``Post.ChannelMentionsAll``: the ``~names`` of the message, then those of the
    attachments' pretext, text and text field values; each once, as written (the server
    looks them up case-sensitively)."""
    texts = [message]
    for attachment in attachments if isinstance(attachments, list) else []:
        if not isinstance(attachment, dict):
            continue
        texts += [v for v in (attachment.get("pretext"), attachment.get("text"))
                  if isinstance(v, str)]
        fields = attachment.get("fields")
        for field in fields if isinstance(fields, list) else []:
            value = field.get("value") if isinstance(field, dict) else None
            if isinstance(value, str):
                texts.append(value)
    return list(dict.fromkeys(m for text in texts for m in _CHANNEL_MENTION.findall(text)))


def _fill_in_ai_generated_by(db: sqlite3.Connection, post: post_pb2.Post, user_id: Any) -> None:
    if not isinstance(user_id, str) or not user_id:
        return
    user = find_user(db, user_id)
    if user is None:
        del post.props[AI_GENERATED_BY_PROP]
    elif user.id == post.user_id or user.is_bot:
        post.props[AI_GENERATED_BY_NAME_PROP] = user.username
    else:
        raise ApiFailure(
            400,
            "api.post.fill_in_post_props.invalid_ai_generated_user.app_error",
            f"The ai_generated_by prop names the user {user_id!r}, who is neither the poster "
            "nor a bot: name the poster or a bot (or leave the prop out).",
            where="FillInPostProps",
        )


def _check_burn_on_read_allowed(db: sqlite3.Connection) -> None:
    if not minimum_enterprise_advanced_license(db):
        raise ApiFailure(
            501,
            "api.post.fill_in_post_props.burn_on_read.license.app_error",
            "Burn-on-read posts need an Enterprise Advanced license: give the world one "
            '("server": {"license": {"sku_short_name": "advanced"}}) or use another type.',
            where="FillInPostProps",
        )
    enabled = server_setting(db, "FeatureFlags", "BurnOnRead", True) and server_setting(
        db, "ServiceSettings", "EnableBurnOnRead", True
    )
    if not enabled:
        raise ApiFailure(
            501,
            "api.post.fill_in_post_props.burn_on_read.config.app_error",
            "Burn-on-read posts are turned off: FeatureFlags.BurnOnRead and "
            "ServiceSettings.EnableBurnOnRead must both be true.",
            where="FillInPostProps",
        )


def rejected(reason: str, where: str) -> ApiFailure:
    """The server's answer to a post rejected by a plugin's Will hook."""
    dismiss = "plugin.message_will_be_posted.dismiss_post"
    error_id = dismiss if reason == dismiss else f"Post rejected by plugin. {reason}"
    return ApiFailure(400, error_id, error_id, where=where, params={"Reason": reason})


def post_list(
    db: sqlite3.Connection,
    rows: list[sqlite3.Row],
    *,
    threads_of: str = "",
) -> post_pb2.PostList:
    """A PostList as plugins get it: ``order`` as given (newest first) and ``posts`` also
    holding the roots of replies (deleted or not). With ``threads_of`` the server's channel
    pages instead add whole live threads (root and every reply, not in ``order``): of the
    listed replies (``"replies"``, GetPostsForChannel) or of every listed post (``"all"``,
    GetPostsBefore/After). Only the ``"all"`` query counts replies: the others leave
    ``reply_count`` at 0, as the server's store does on these paths."""
    result = post_pb2.PostList()
    for row in rows:
        post = for_plugin(post_from_row(row))
        result.order.append(post.id)
        result.posts[post.id].CopyFrom(post)
    listed = list(result.posts.values())
    if threads_of:
        ids = sorted({p.root_id for p in listed if p.root_id})
        if threads_of == "all":
            ids = sorted(set(ids) | {p.id for p in listed})
        marks = ",".join("?" * len(ids))
        channel_id = listed[0].channel_id if listed else ""
        thread_rows = (
            db.execute(
                f"SELECT * FROM posts WHERE (id IN ({marks}) OR root_id IN ({marks})) "
                "AND channel_id=? AND delete_at=0 AND ephemeral=0",
                (*ids, *ids, channel_id),
            ).fetchall()
            if ids
            else []
        )
        for row in thread_rows:
            if row["id"] not in result.posts:
                result.posts[row["id"]].CopyFrom(for_plugin(post_from_row(row)))
    else:
        for post in listed:
            if post.root_id and post.root_id not in result.posts:
                root = find_post(db, post.root_id, include_deleted=True)
                if root is not None:
                    result.posts[root.id].CopyFrom(for_plugin(root))
    for post in result.posts.values():
        if threads_of == "all":
            count_replies(db, post)
        else:
            post.reply_count = 0
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
