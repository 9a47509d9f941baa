"""The AppError status code decides the SDK exception class a plugin catches."""

from __future__ import annotations

import pytest

from mmplug.sdk import (
    AlreadyExistsError,
    InvalidArgumentError,
    NotFoundError,
    NotImplementedAPIError,
    PermissionDeniedError,
    PluginAPIError,
    UnavailableError,
)
from mmplug.sdk.errors import error_for_status


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidArgumentError),
        (401, PermissionDeniedError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, AlreadyExistsError),
        (413, InvalidArgumentError),  # e.g. a file over FileSettings.MaxFileSize
        (422, InvalidArgumentError),
        (429, UnavailableError),
        (501, NotImplementedAPIError),  # e.g. public links or custom emoji turned off
        (503, UnavailableError),
    ],
)
def test_server_statuses_map_to_their_exception_class(status: int, cls: type) -> None:
    assert error_for_status(status) is cls


@pytest.mark.parametrize("status", [500, 0, 418])
def test_other_statuses_are_plain_plugin_api_errors(status: int) -> None:
    assert error_for_status(status) is PluginAPIError
