"""Hook registration is validated when the Plugin class is defined."""

from __future__ import annotations

from typing import Any

import pytest

from mmplug.sdk import HookRegistrationError, Plugin, PluginError, Router, hook


def test_misspelled_hook_names_file_line_and_closest_name() -> None:
    with pytest.raises(HookRegistrationError) as info:

        class Bad(Plugin):
            def on_activte(self) -> None:
                pass

    err = info.value
    assert isinstance(err, PluginError)
    assert err.suggestion == "on_activate"
    assert err.file == __file__
    assert err.line > 0
    assert f"{__file__}:{err.line}" in str(err)
    assert "did you mean 'on_activate'" in str(err)


def test_truncated_hook_name_is_rejected() -> None:
    with pytest.raises(HookRegistrationError, match="message_will_be_posted"):

        class Bad(Plugin):
            def message_will_be_post(self, context: Any, post: Any) -> None:
                pass


def test_go_style_method_name_is_rejected_with_the_python_name() -> None:
    with pytest.raises(HookRegistrationError, match="'on_activate'"):

        class Bad(Plugin):
            def OnActivate(self) -> None:
                pass


def test_wrong_signature_is_rejected() -> None:
    with pytest.raises(HookRegistrationError, match=r"self, context, post"):

        class Bad(Plugin):
            def message_will_be_posted(self, post: Any) -> None:
                pass


def test_decorated_handler_signature_is_checked_too() -> None:
    with pytest.raises(HookRegistrationError, match="RunDataRetention"):

        class Bad(Plugin):
            @hook("RunDataRetention")
            def cleanup(self) -> None:
                pass


def test_unknown_hook_in_decorator() -> None:
    with pytest.raises(HookRegistrationError, match="MessageWillBePosted"):

        class Bad(Plugin):
            @hook("MessageWillBePost")
            def filter(self, context: Any, post: Any) -> None:
                pass


def test_two_handlers_for_one_hook() -> None:
    with pytest.raises(HookRegistrationError, match="both handle OnActivate"):

        class Bad(Plugin):
            def on_activate(self) -> None:
                pass

            @hook("OnActivate")
            def start(self) -> None:
                pass


def test_helpers_are_not_mistaken_for_hooks() -> None:
    class Fine(Plugin):
        def on_timer(self) -> None: ...
        def user_display_name(self, user: Any) -> str: return ""
        def channel_link(self, channel: Any) -> str: return ""
        def message_text(self) -> str: return ""
        def _on_activte(self) -> None: ...
        def helper(self) -> None: ...

    assert Fine.implemented_hooks() == []


def test_implemented_lists_go_names_sorted_including_decorated_and_async() -> None:
    class Good(Plugin):
        def on_deactivate(self) -> None: ...

        async def message_has_been_posted(self, context: Any, post: Any) -> None: ...

        @hook("MessageWillBePosted")
        def filter_posts(self, context: Any, post: Any) -> None: ...

        @hook("run_data_retention")
        def retention(self, now_time: int, batch_size: int) -> int:
            return 0

        def notification_will_be_pushed(self, push_notification: Any, user_id: str) -> None: ...

        def serve_http(self, context: Any, response: Any, request: Any) -> None: ...

    assert Good.implemented_hooks() == [
        "MessageHasBeenPosted",
        "MessageWillBePosted",
        "NotificationWillBePushed",
        "OnDeactivate",
        "RunDataRetention",
        "ServeHTTP",
    ]


def test_optional_extra_parameters_and_varargs_are_allowed() -> None:
    class Good(Plugin):
        def message_will_be_updated(self, context: Any, new_post: Any, old_post: Any,
                                    extra: int = 0) -> None: ...

        def execute_command(self, *args: Any) -> None: ...

    assert Good.implemented_hooks() == ["ExecuteCommand", "MessageWillBeUpdated"]


def test_subclasses_inherit_and_override_handlers() -> None:
    class Base(Plugin):
        def on_activate(self) -> None: ...

    class Child(Base):
        def on_deactivate(self) -> None: ...

    assert Child.implemented_hooks() == ["OnActivate", "OnDeactivate"]
    assert Base.implemented_hooks() == ["OnActivate"]


def test_router_implements_serve_http() -> None:
    router = Router()

    @router.get("/x")
    def x(plugin: Any, request: Any) -> str:
        return "x"

    class WithRoutes(Plugin):
        http = router

    class WithoutRoutes(Plugin):
        http = Router()

    assert WithRoutes.implemented_hooks() == ["ServeHTTP"]
    assert WithoutRoutes.implemented_hooks() == []
