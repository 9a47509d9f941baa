"""Entities (mmplug.sdk.model): attribute access, to_dict, equality, repr, replace, and the
kinds of fields, as hook handlers and API callers see them."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from sdk_support import hooks_server

from mmplug.protocol import channel_pb2, post_pb2
from mmplug.sdk import HookRegistrationError, Plugin
from mmplug.sdk.model import (
    Channel,
    ChannelMember,
    Entity,
    PluginContext,
    Post,
    PostList,
    PostMetadata,
    User,
)


def test_attributes_read_and_write_the_message_in_place() -> None:
    message = post_pb2.Post(id="p1", message="hello", channel_id="c1")
    post = Post.from_proto(message)
    assert (post.id, post.message, post.channel_id) == ("p1", "hello", "c1")
    post.message = "changed"
    assert message.message == "changed"  # a view, not a copy
    assert post.proto is message
    with pytest.raises(TypeError, match="takes a Post"):
        Post.from_proto(channel_pb2.Channel())


def test_construct_equality_and_readable_repr() -> None:
    post = Post(message="hi", channel_id="c1", props={"from_bot": "true"})
    assert post == Post(channel_id="c1", message="hi", props={"from_bot": "true"})
    assert post != Post(message="hi")
    assert post != post.proto  # an entity equals entities of its class only
    assert repr(post) == "Post(channel_id='c1', message='hi', props={'from_bot': 'true'})"
    assert repr(Channel(type="P", name="plans")) == (
        "Channel(type=CHANNEL_TYPE_PRIVATE, name='plans')")
    with pytest.raises(TypeError, match="unhashable"):
        hash(post)


def test_to_dict_from_dict_round_trip() -> None:
    post = Post(id="p1", message="hi", file_ids=["f1"], props={"n": 2, "tags": ["a"]},
                metadata={"embeds": [{"type": "link", "url": "https://example.com"}]})
    data = post.to_dict()
    assert data["message"] == "hi" and data["file_ids"] == ["f1"]
    assert data["props"] == {"n": 2, "tags": ["a"]}  # JSON numbers that are integers are ints
    assert isinstance(data["props"]["n"], int)
    assert data["metadata"]["embeds"][0]["url"] == "https://example.com"
    assert data["root_id"] == "" and data["is_following"] is None  # every field, unset as None
    assert Post.from_dict(data) == post
    with pytest.raises(TypeError, match="Post has no field 'text'"):
        Post.from_dict({"text": "hi"})
    with pytest.raises(TypeError, match=r"Post.create_at takes int, got str"):
        Post.from_dict({"create_at": "yesterday"})


def test_replace_returns_a_changed_copy() -> None:
    post = Post(id="p1", message="hi", user_id="u1")
    louder = post.replace(message="HI")
    assert (louder.message, louder.id, louder.user_id) == ("HI", "p1", "u1")
    assert post.message == "hi"
    assert copy.copy(post) == post and copy.copy(post) is not post
    assert copy.deepcopy(post).proto is not post.proto
    assert pickle.loads(pickle.dumps(post)) == post


def test_kinds_of_fields() -> None:
    post = Post()
    assert post.metadata is None  # an unset entity field
    post.metadata = {"images": {"https://x/a.png": {"width": 10, "height": 5}}}
    assert isinstance(post.metadata, PostMetadata)
    assert post.metadata.images["https://x/a.png"].width == 10  # a map of entities
    with pytest.raises(TypeError):
        post.metadata.images["other"] = None  # type: ignore[index]  # read-only snapshot
    post.file_ids.append("f1")  # repeated scalars are live lists
    assert post.proto.file_ids == ["f1"]
    post.props = {"a": 1}
    props = post.props
    props["b"] = 2  # a new dict on each read: assign to change
    assert post.props == {"a": 1}
    assert post.is_following is None  # proto3 optional
    post.is_following = False
    assert post.is_following is False and post.proto.HasField("is_following")
    post.is_following = None
    assert not post.proto.HasField("is_following")
    channel = Channel(type="O")  # Mattermost's letter, the short label or the full label
    assert channel.type == channel_pb2.CHANNEL_TYPE_OPEN
    channel.type = "private"
    assert channel.type == channel_pb2.CHANNEL_TYPE_PRIVATE
    with pytest.raises(ValueError, match="not a ChannelType"):
        channel.type = "Q"
    member = ChannelMember(notify_props={"desktop": "all"})
    member.notify_props["push"] = "none"  # string maps are live
    assert dict(member.proto.notify_props) == {"desktop": "all", "push": "none"}
    thread = PostList(order=["b", "a"], posts={"a": Post(message="A"), "b": {"message": "B"}})
    assert [thread.posts[i].message for i in thread.order] == ["B", "A"]
    thread.posts["a"].message = "A!"  # items of a snapshot are live views
    assert thread.proto.posts["a"].message == "A!"


class Typed(Plugin):
    def message_will_be_posted(self, context: PluginContext, post: Post) -> Post | str | None:
        if "secret" in post.message:
            return "no secrets"
        assert isinstance(context, PluginContext) and isinstance(post, Post)
        return post.replace(message=post.message + " (checked)")

    def user_has_been_created(self, context: PluginContext, user: User) -> None:
        SEEN.append(user)

    def messages_will_be_consumed(self, posts: list[Post]) -> list[Post]:
        return [p.replace(message=p.message.upper()) for p in posts]


SEEN: list[Any] = []


def test_hooks_receive_entities_and_may_return_them() -> None:
    with hooks_server(Typed()) as call:
        changed = call("MessageWillBePosted", post=post_pb2.Post(message="hello"))
        assert changed.modified_post.message == "hello (checked)"
        assert call("MessageWillBePosted", post=post_pb2.Post(message="a secret")
                    ).rejection_reason == "no secrets"
        call("UserHasBeenCreated", user={"username": "dora"})
        assert isinstance(SEEN[-1], User) and SEEN[-1].username == "dora"
        upper = call("MessagesWillBeConsumed", posts=[{"message": "a"}, {"message": "b"}])
        assert [p.message for p in upper.posts] == ["A", "B"]


def test_an_entity_annotation_that_does_not_match_the_hook_is_an_error() -> None:
    with pytest.raises(HookRegistrationError) as info:
        class Wrong(Plugin):
            def message_will_be_posted(self, context: PluginContext, post: User) -> None:
                pass
    assert "parameter 'post' is annotated User" in str(info.value)
    assert "MessageWillBePosted passes Post" in str(info.value)
    assert info.value.line > 0

    class Loose(Plugin):  # no annotation, Any, or a union with the right entity: fine
        def message_will_be_posted(self, context: Any, post: Post | None) -> None:
            pass

    assert Loose.implemented_hooks() == ["MessageWillBePosted"]


def test_every_entity_is_exported_and_registered() -> None:
    from mmplug.sdk import model
    from mmplug.sdk._entity import entity_class

    for name in model.__all__:
        cls = getattr(model, name)
        if cls is Entity:
            continue
        assert entity_class(cls._proto_class) is cls
        assert cls().to_dict().keys() == {f.name for f in cls._proto_class.DESCRIPTOR.fields}
