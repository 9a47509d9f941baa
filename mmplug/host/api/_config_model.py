"""The server's configuration model (``model.Config``) as far as the fake host knows it.

A save of the server configuration goes through three steps on the server, and the fake host
follows them:

* :func:`decode` is SaveConfig's handler reading the JSON with Go's ``json.Unmarshal`` into a
  fresh ``model.Config``: keys match the model's field names in any case, a key the model does
  not have is dropped, and a value of the wrong JSON type refuses the whole text (``json:
  cannot unmarshal number into Go struct field ...``). A ``null`` is a setting not given.
* :func:`set_defaults` is the config store's ``Config.SetDefaults``: every setting not given
  gets the server's default, so a partial configuration resets the rest (a ``null``
  configuration resets everything).
* :func:`fix` and :func:`invalid` are the store's ``fixConfig`` and ``Config.IsValid``.

The fake host knows every section of the model but types, defaults and checks only the
settings its world configuration has (:data:`SETTINGS`); any other setting of a section is
kept as given.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mmplug.host.http_codec import BAD_ESCAPE, URL_CONTROL, URL_SCHEME

# model.Config's sections (fields) and their Go types.
_SSO = ("GitLabSettings", "GoogleSettings", "OpenIdSettings")
SECTIONS: dict[str, str] = {
    name: "SSOSettings" if name in _SSO else name
    for name in (
        "ServiceSettings", "TeamSettings", "ClientRequirements", "SqlSettings", "LogSettings",
        "ExperimentalAuditSettings", "NotificationLogSettings", "PasswordSettings",
        "FileSettings", "EmailSettings", "RateLimitSettings", "PrivacySettings",
        "SupportSettings", "AnnouncementSettings", "ThemeSettings", "GitLabSettings",
        "GoogleSettings", "Office365Settings", "OpenIdSettings", "LdapSettings",
        "ComplianceSettings", "LocalizationSettings", "SamlSettings", "NativeAppSettings",
        "CacheSettings", "ClusterSettings", "MetricsSettings", "ExperimentalSettings",
        "AnalyticsSettings", "ElasticsearchSettings", "BleveSettings", "DataRetentionSettings",
        "MessageExportSettings", "JobSettings", "PluginSettings", "DisplaySettings",
        "GuestAccountsSettings", "ImageProxySettings", "CloudSettings", "FeatureFlags",
        "ImportSettings", "ExportSettings", "WranglerSettings", "ConnectedWorkspacesSettings",
        "AccessControlSettings", "AutoTranslationSettings",
    )
}
FEATURE_FLAGS = "FeatureFlags"  # a pointer to a struct: null is allowed and clears it


@dataclass(frozen=True)
class Given:
    """What :func:`set_defaults` may look at: the decoded configuration before defaults, and
    whether it is an update (the server: ``ServiceSettings.SiteURL`` was given)."""

    config: dict[str, Any]
    is_update: bool
    random_key: Callable[[], str]

    def value(self, section: str, name: str) -> Any:
        block = self.config.get(section)
        return block.get(name) if isinstance(block, dict) else None


Default = Callable[[Given], Any]


@dataclass(frozen=True)
class Setting:
    """A setting's Go type (``string``, ``bool``, ``int``, ``int64``, ``[]string``, or one of
    PluginSettings' maps) and its server default; ``empty_is_unset``: SetDefaults also replaces
    an empty string."""

    go: str
    default: Any
    empty_is_unset: bool = False

    def default_for(self, given: Given) -> Any:
        return self.default(given) if callable(self.default) else self.default


def _site_url(given: Given) -> str:
    return "http://localhost:8065" if given.value("ServiceSettings", "EnableDeveloper") is True \
        else ""


def _session_hours(given: Given) -> int:
    days = given.value("ServiceSettings", "SessionLengthWebInDays")
    if not isinstance(days, int) or isinstance(days, bool):
        days = 180 if given.is_update else 30
    return days * 24


def _teammate_name_display(given: Given) -> str:
    directory = (given.value("SamlSettings", "Enable") is True
                 or given.value("LdapSettings", "Enable") is True)
    return "full_name" if directory else "username"


def _generated_key(given: Given) -> str:
    # an update without a key gets a new random one; a blank configuration an empty one
    return given.random_key() if given.is_update else ""


_PLUGINS = "map[string]map[string]interface {}"
_PLUGIN_STATES = "map[string]*model.PluginState"
SETTINGS: dict[str, dict[str, Setting]] = {
    "ServiceSettings": {
        "SiteURL": Setting("string", _site_url),
        "ListenAddress": Setting("string", ":8065"),
        "EnableBotAccountCreation": Setting("bool", False),
        "EnableUserAccessTokens": Setting("bool", False),
        "EnablePostUsernameOverride": Setting("bool", False),
        "EnablePostIconOverride": Setting("bool", False),
        "EnableCommands": Setting("bool", True),
        "EnableIncomingWebhooks": Setting("bool", True),
        "EnableOutgoingWebhooks": Setting("bool", True),
        "EnableCustomEmoji": Setting("bool", True),
        "EnableGifPicker": Setting("bool", True),
        "GiphySdkKey": Setting("string", "", empty_is_unset=True),
        "SplitKey": Setting("string", ""),
        "SessionLengthWebInHours": Setting("int", _session_hours),
        "MaximumPayloadSizeBytes": Setting("int64", 300000),
        "EnableAPITeamDeletion": Setting("bool", False),
        "EnableAPIUserDeletion": Setting("bool", False),
        "EnableDeveloper": Setting("bool", False),
        "EnableTesting": Setting("bool", False),
        "CollapsedThreads": Setting("string", "always_on"),
        "ThreadAutoFollow": Setting("bool", True),
        "PostEditTimeLimit": Setting("int", -1),
    },
    "TeamSettings": {
        "SiteName": Setting("string", "Mattermost", empty_is_unset=True),
        "MaxUsersPerTeam": Setting("int", 50),
        "EnableUserCreation": Setting("bool", True),
        "EnableOpenServer": Setting("bool", False),
        "RestrictCreationToDomains": Setting("string", ""),
        "TeammateNameDisplay": Setting("string", _teammate_name_display),
        "MaxChannelsPerTeam": Setting("int64", 2000),
        "MaxNotificationsPerChannel": Setting("int64", 1000),
        "EnableConfirmNotificationsToChannel": Setting("bool", True),
        "ExperimentalViewArchivedChannels": Setting("bool", True),
        "ExperimentalDefaultChannels": Setting("[]string", []),
    },
    "SqlSettings": {
        "DriverName": Setting("string", "postgres"),
        "DataSource": Setting(
            "string", "postgres://mmuser:mostest@localhost/mattermost_test?sslmode=disable"
                      "&connect_timeout=10&binary_parameters=yes"),
        "DataSourceReplicas": Setting("[]string", []),
        "AtRestEncryptKey": Setting("string", _generated_key, empty_is_unset=True),
        "MaxOpenConns": Setting("int", 300),
    },
    "LogSettings": {
        "EnableConsole": Setting("bool", True),
        "ConsoleLevel": Setting("string", "DEBUG"),
        "EnableFile": Setting("bool", True),
        "EnableDiagnostics": Setting("bool", True),
    },
    "PasswordSettings": {
        "MinimumLength": Setting("int", 8),
        "Lowercase": Setting("bool", False),
        "Number": Setting("bool", False),
        "Uppercase": Setting("bool", False),
        "Symbol": Setting("bool", False),
    },
    "FileSettings": {
        "EnableFileAttachments": Setting("bool", True),
        "MaxFileSize": Setting("int64", 100 * 1024 * 1024),
        "DriverName": Setting("string", "local"),
        "Directory": Setting("string", "./data/", empty_is_unset=True),
        "EnablePublicLink": Setting("bool", False),
        "PublicLinkSalt": Setting("string", _generated_key, empty_is_unset=True),
        "AmazonS3AccessKeyId": Setting("string", ""),
        "AmazonS3SecretAccessKey": Setting("string", ""),
    },
    "EmailSettings": {
        "EnableSignUpWithEmail": Setting("bool", True),
        "SendEmailNotifications": Setting("bool", True),
        "FeedbackName": Setting("string", ""),
        "FeedbackEmail": Setting("string", "test@example.com"),
        "SMTPUsername": Setting("string", ""),
        "SMTPPassword": Setting("string", ""),
        "SMTPServer": Setting("string", "localhost", empty_is_unset=True),
        "SMTPPort": Setting("string", "10025", empty_is_unset=True),
    },
    "PrivacySettings": {
        "ShowEmailAddress": Setting("bool", True),
        "ShowFullName": Setting("bool", True),
    },
    "GitLabSettings": {
        "Enable": Setting("bool", False),
        "Secret": Setting("string", ""),
        "Id": Setting("string", ""),
    },
    "LdapSettings": {
        "Enable": Setting("bool", False),
        "BindUsername": Setting("string", ""),
        "BindPassword": Setting("string", ""),
    },
    "ElasticsearchSettings": {
        "EnableIndexing": Setting("bool", False),
        "Username": Setting("string", "elastic"),
        "Password": Setting("string", "changeme"),
    },
    "RateLimitSettings": {
        "Enable": Setting("bool", False),
        "PerSec": Setting("int", 10),
        "MaxBurst": Setting("int", 100),
    },
    "PluginSettings": {
        "Enable": Setting("bool", True),
        "EnableUploads": Setting("bool", False),
        "Directory": Setting("string", "./plugins", empty_is_unset=True),
        "ClientDirectory": Setting("string", "./client/plugins", empty_is_unset=True),
        "Plugins": Setting(_PLUGINS, {}),
        "PluginStates": Setting(_PLUGIN_STATES, {}),
    },
}


def _diagnostics_on(given: Given) -> bool:
    return given.value("LogSettings", "EnableDiagnostics") is not False


# The plugins PluginSettings.SetDefaults gives a state when the configuration has none for
# them (installed or not): NPS follows LogSettings.EnableDiagnostics, the others are enabled.
DEFAULT_PLUGIN_STATES: dict[str, Callable[[Given], bool]] = {
    "com.mattermost.nps": _diagnostics_on,
    "com.mattermost.calls": lambda given: True,
    "playbooks": lambda given: True,
}

# Where SetDefaults forces a value whatever was given: a blank configuration (not an update)
# gets empty keys, to be generated when the server starts.
_BLANK_ON_CREATE = (("SqlSettings", "AtRestEncryptKey"), ("FileSettings", "PublicLinkSalt"))


# -- decoding ------------------------------------------------------------------------------
class DecodeError(Exception):
    """Go's ``json.Unmarshal`` refusing a value (the message is Go's)."""


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its (key, value) pairs in order: Go sees every duplicate key."""


class _Number(float):
    """A JSON number with a fraction or exponent, with its text (Go names it in an error)."""

    text: str


def _number(text: str) -> _Number:
    number = _Number(text)
    number.text = text
    return number


def loads(text: str, parse_constant: Callable[[str], Any]) -> Any:
    """Parse JSON keeping what Go's decoder looks at (duplicate keys, number texts)."""
    return json.loads(text, object_pairs_hook=_Pairs, parse_float=_number,
                      parse_constant=parse_constant)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) and not isinstance(value, _Pairs) else "object"


def plain(value: Any) -> Any:
    """A parsed value as ordinary JSON data (the last of duplicate keys wins)."""
    if isinstance(value, _Pairs):
        return {k: plain(v) for k, v in value}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, _Number):
        return float(value)
    return value


def _field(names: list[str] | tuple[str, ...], key: str) -> str | None:
    """The model field ``key`` fills: the exact name, else one equal ignoring case."""
    if key in names:
        return key
    folded = key.casefold()
    return next((name for name in names if name.casefold() == folded), None)


def _refuse(value: Any, struct: str, path: str, go_type: str) -> DecodeError:
    what = _kind(value)
    if what == "number" and go_type in ("int", "int64"):
        what += " " + (value.text if isinstance(value, _Number) else str(value))
    return DecodeError(f"json: cannot unmarshal {what} into Go struct field {struct}.{path} "
                       f"of type {go_type}")


_INT64 = (-(2 ** 63), 2 ** 63 - 1)


def _scalar(value: Any, go: str, struct: str, path: str) -> Any:
    if go == "string" and isinstance(value, str):
        return value
    if go == "bool" and isinstance(value, bool):
        return value
    if go in ("int", "int64") and isinstance(value, int) and not isinstance(value, bool) \
            and _INT64[0] <= value <= _INT64[1]:
        return value
    raise _refuse(value, struct, path, go)


def _setting(setting: Setting, value: Any, before: Any, struct: str, path: str) -> Any:
    if value is None:  # null clears a pointer, a slice or a map: the setting is not given
        return None
    if setting.go == "[]string":
        if not isinstance(value, list) or isinstance(value, _Pairs):
            raise _refuse(value, struct, path, "[]string")
        # null in a fresh element leaves Go's zero value, the empty string
        return ["" if v is None else _scalar(v, "string", struct, path) for v in value]
    if setting.go == _PLUGINS:
        return _map(value, before, struct, path, _plugin_settings)
    if setting.go == _PLUGIN_STATES:
        return _map(value, before, struct, path, _plugin_state)
    return _scalar(value, setting.go, struct, path)


def _map(value: Any, before: Any, struct: str, path: str,
         element: Callable[[Any, str], Any]) -> dict[str, Any]:
    if not isinstance(value, _Pairs):
        raise _refuse(value, struct, path, _PLUGINS if element is _plugin_settings
                      else _PLUGIN_STATES)
    out: dict[str, Any] = dict(before) if isinstance(before, dict) else {}
    for key, item in value:  # map keys match exactly; a map given twice is filled twice
        out[key] = element(item, path)
    return out


def _plugin_settings(value: Any, path: str) -> Any:
    if value is None:
        return None
    if not isinstance(value, _Pairs):
        raise _refuse(value, "PluginSettings", path, "map[string]interface {}")
    return plain(value)


def _plugin_state(value: Any, path: str) -> Any:
    if value is None:
        return None
    if not isinstance(value, _Pairs):
        raise _refuse(value, "PluginSettings", path, "model.PluginState")
    enable = False
    for key, item in value:
        if _field(("Enable",), key) and item is not None:
            enable = _scalar(item, "bool", "PluginState", path + ".Enable")
    return {"Enable": enable}


def _section(name: str, pairs: _Pairs, into: dict[str, Any]) -> None:
    known = SETTINGS.get(name, {})
    names = list(known)
    struct = SECTIONS[name]
    for key, value in pairs:
        field = _field(names, key)
        if field is None:  # a setting the fake host does not model: kept as given
            into[key] = plain(value)
            continue
        into[field] = _setting(known[field], value, into.get(field), struct, f"{name}.{field}")


def decode(document: Any) -> dict[str, Any]:
    """The configuration Go's ``json.Unmarshal`` makes of a parsed document (see
    :func:`loads`): keys in the model's spelling, unknown sections dropped, a setting of the
    wrong JSON type refused with Go's message (:class:`DecodeError`), null settings None."""
    if document is None:
        return {}
    if not isinstance(document, _Pairs):
        raise DecodeError(f"json: cannot unmarshal {_kind(document)} into Go value of type "
                          "model.Config")
    config: dict[str, Any] = {}
    names = list(SECTIONS)
    for key, value in document:
        name = _field(names, key)
        if name is None:
            continue  # not a field of model.Config: Go ignores it
        if value is None:
            if name == FEATURE_FLAGS:
                config.pop(name, None)
            continue  # null into a struct leaves it as it is
        if not isinstance(value, _Pairs):
            raise DecodeError(f"json: cannot unmarshal {_kind(value)} into Go struct field "
                              f"Config.{name} of type model.{SECTIONS[name]}")
        _section(name, value, config.setdefault(name, {}))
    return config


# -- SetDefaults, fixConfig ------------------------------------------------------------------
def set_defaults(config: dict[str, Any], random_key: Callable[[], str]) -> dict[str, Any]:
    """``Config.SetDefaults`` over the settings the fake host models: each one not given (None
    or absent; an empty string for some) gets the server's default, and the plugins of
    :data:`DEFAULT_PLUGIN_STATES` without a state get theirs."""
    is_update = config.get("ServiceSettings", {}).get("SiteURL") is not None
    given = Given(copy.deepcopy(config), is_update, random_key)
    out = copy.deepcopy(config)
    for section, settings in SETTINGS.items():
        block = out.setdefault(section, {})
        for name, setting in settings.items():
            value = block.get(name)
            if value is None or (setting.empty_is_unset and value == ""):
                block[name] = setting.default_for(given)
    states = dict(out["PluginSettings"]["PluginStates"])
    for plugin_id, enabled in DEFAULT_PLUGIN_STATES.items():
        if states.get(plugin_id) is None:
            states[plugin_id] = {"Enable": enabled(given)}
    out["PluginSettings"]["PluginStates"] = states
    if not is_update:
        for section, name in _BLANK_ON_CREATE:
            out[section][name] = ""
    return out


def fix(config: dict[str, Any]) -> None:
    """``fixConfig``: the site URL without a trailing slash, a local file directory with
    one."""
    service, files = config["ServiceSettings"], config["FileSettings"]
    service["SiteURL"] = service["SiteURL"].rstrip("/")
    if files["DriverName"] == "local" and files["Directory"] and \
            not files["Directory"].endswith("/"):
        files["Directory"] += "/"


def load(config: dict[str, Any], random_key: Callable[[], str]) -> dict[str, Any]:
    """A configuration as the server's config store reads it when it loads it (``Store.Load``):
    a missing site URL is read as empty (so it is an update: missing keys are generated), every
    setting not given gets its default as a save gives it, then ``fixConfig``."""
    given = copy.deepcopy(config)
    service = given.setdefault("ServiceSettings", {})
    if isinstance(service, dict) and service.get("SiteURL") is None:
        service["SiteURL"] = ""
    loaded = set_defaults(given, random_key)
    fix(loaded)
    return loaded


# -- IsValid ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Invalid:
    """A reason ``Config.IsValid`` refuses a configuration: its error id and what to fix."""

    error_id: str
    fix: str


def _is_valid_id(name: str) -> str:
    return f"model.config.is_valid.{name}.app_error"


_HOST_CHARS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:\[\]<>\"%\x80-\U0010ffff]*")


def request_uri_error(text: str) -> str | None:
    """Why Go's ``url.ParseRequestURI`` refuses ``text`` (None: it accepts it)."""
    if URL_CONTROL.search(text):
        return "net/url: invalid control character in URL"
    if text.startswith(":"):
        return "missing protocol scheme"
    scheme = URL_SCHEME.match(text)
    rest = text[scheme.end():] if scheme else text
    if not rest.startswith("/"):
        # with a scheme the rest is opaque (mailto:x); without one a path must be absolute
        return None if scheme else "invalid URI for request"
    if scheme and rest.startswith("//"):
        authority, _, rest = rest[2:].partition("/")
        host = authority.rsplit("@", 1)[-1]
        if not _HOST_CHARS.fullmatch(host):
            return "invalid character in host name"
        if host.startswith("["):
            if "]" not in host:
                return "missing ']' in host"
            port = host[host.index("]") + 1:]
        else:
            port = host[host.rindex(":"):] if ":" in host else ""
        if port and not (port.startswith(":") and (port == ":" or port[1:].isdigit())):
            return f"invalid port {port!r} after host"
    if BAD_ESCAPE.search(rest.split("?", 1)[0]):
        return "invalid URL escape"
    return None


def _is_domain_name(name: str) -> bool:
    """Go's ``net.isDomainName``: labels of letters, digits, '-' and '_', none empty or
    longer than 63, none starting or ending with '-', not all digits."""
    if name == ".":
        return True
    if not name or len(name) > 254 or (len(name) == 254 and not name.endswith(".")):
        return False
    last, non_numeric, part = ".", False, 0
    for c in name:
        if c.isascii() and (c.isalpha() or c == "_"):
            non_numeric, part = True, part + 1
        elif c.isascii() and c.isdigit():
            part += 1
        elif c == "-":
            if last == ".":
                return False
            non_numeric, part = True, part + 1
        elif c == ".":
            if last in ".-" or part == 0 or part > 63:
                return False
            part = 0
        else:
            return False
        last = c
    return last != "-" and part <= 63 and non_numeric


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def listen_address_ok(address: str) -> bool:
    """What ``ServiceSettings.isValid`` accepts as a listen address: ``[host]:port`` with an
    empty host, an IP or a domain name, and a port of 0 to 65535."""
    if address.startswith("["):
        end = address.find("]")
        if end < 0 or not address[end + 1:].startswith(":"):
            return False
        host, port = address[1:end], address[end + 2:]
    else:
        host, sep, port = address.rpartition(":")
        if not sep or ":" in host:
            return False
    if host and not (_is_ip(host) or _is_domain_name(host)):
        return False
    if not re.fullmatch(r"[+-]?[0-9]+", port):
        return False
    return 0 <= int(port) <= 65535


def invalid(config: dict[str, Any]) -> Invalid | None:
    """The first reason ``Config.IsValid`` refuses ``config`` (after :func:`set_defaults`),
    in the server's order, among the settings the fake host models; None if it passes."""
    team, sql, files = config["TeamSettings"], config["SqlSettings"], config["FileSettings"]
    service, ldap = config["ServiceSettings"], config["LdapSettings"]
    password, rate = config["PasswordSettings"], config["RateLimitSettings"]
    checks: list[tuple[bool, str, str]] = [
        (team["MaxUsersPerTeam"] <= 0, "max_users",
         "TeamSettings.MaxUsersPerTeam must be greater than 0"),
        (team["MaxChannelsPerTeam"] <= 0, "max_channels",
         "TeamSettings.MaxChannelsPerTeam must be greater than 0"),
        (team["MaxNotificationsPerChannel"] <= 0, "max_notify_per_channel",
         "TeamSettings.MaxNotificationsPerChannel must be greater than 0"),
        (team["TeammateNameDisplay"] not in ("full_name", "nickname_full_name", "username"),
         "teammate_name_display",
         "TeamSettings.TeammateNameDisplay must be full_name, nickname_full_name or username"),
        (len(team["SiteName"].encode()) > 30, "sitename_length",
         "TeamSettings.SiteName must be at most 30 bytes long"),
        (sql["AtRestEncryptKey"] != "" and len(sql["AtRestEncryptKey"]) < 32, "encrypt_sql",
         "SqlSettings.AtRestEncryptKey must be empty or at least 32 characters long"),
        (sql["DriverName"] not in ("mysql", "postgres"), "sql_driver",
         "SqlSettings.DriverName must be postgres or mysql"),
        (sql["DataSource"] == "", "sql_data_src", "SqlSettings.DataSource must not be empty"),
        (sql["MaxOpenConns"] <= 0, "sql_max_conn",
         "SqlSettings.MaxOpenConns must be greater than 0"),
        (files["MaxFileSize"] <= 0, "max_file_size",
         "FileSettings.MaxFileSize must be greater than 0"),
        (files["DriverName"] not in ("local", "amazons3"), "file_driver",
         "FileSettings.DriverName must be local or amazons3"),
        (files["PublicLinkSalt"] != "" and len(files["PublicLinkSalt"]) < 32, "file_salt",
         "FileSettings.PublicLinkSalt must be empty or at least 32 characters long"),
    ]
    for bad, name, why in checks:
        if bad:
            return Invalid(_is_valid_id(name), why)
    if ldap["Enable"]:
        for setting, name in (("LdapServer", "ldap_server"), ("BaseDN", "ldap_basedn"),
                              ("EmailAttribute", "ldap_email"),
                              ("UsernameAttribute", "ldap_username"),
                              ("IdAttribute", "ldap_id")):
            if not ldap.get(setting):  # these ids have no .app_error suffix
                return Invalid(f"model.config.is_valid.{name}",
                               f"LdapSettings.{setting} must be set when LDAP is enabled")
    later: list[tuple[bool, str, str]] = [
        (not 5 <= password["MinimumLength"] <= 72, "password_length",
         "PasswordSettings.MinimumLength must be between 5 and 72"),
        (rate["PerSec"] <= 0, "rate_sec", "RateLimitSettings.PerSec must be greater than 0"),
        (rate["MaxBurst"] <= 0, "max_burst",
         "RateLimitSettings.MaxBurst must be greater than 0"),
        (service["MaximumPayloadSizeBytes"] <= 0, "max_payload_size",
         "ServiceSettings.MaximumPayloadSizeBytes must be greater than 0"),
        (service["SiteURL"] != "" and request_uri_error(service["SiteURL"]) is not None,
         "site_url", "ServiceSettings.SiteURL must be empty or an absolute URL such as "
                     "https://chat.example.com"),
        (not listen_address_ok(service["ListenAddress"]), "listen_address",
         "ServiceSettings.ListenAddress must be [host]:port, such as :8065"),
        (service["CollapsedThreads"] != "disabled" and not service["ThreadAutoFollow"],
         "collapsed_threads.autofollow",
         "ServiceSettings.ThreadAutoFollow must be true unless CollapsedThreads is disabled"),
        (service["CollapsedThreads"] not in ("disabled", "default_on", "default_off",
                                             "always_on"), "collapsed_threads",
         "ServiceSettings.CollapsedThreads must be disabled, default_on, default_off or "
         "always_on"),
    ]
    for bad, name, why in later:
        if bad:
            return Invalid(_is_valid_id(name), why)
    return None


def _no_constant(name: str) -> Any:
    raise DecodeError(f"{name} is not a JSON value (Go's JSON has no NaN or Infinity)")


def decoded(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` (a configuration file's JSON, already parsed) as Go's ``json.Unmarshal`` into
    ``model.Config`` reads it (:func:`decode`): names in the model's spelling, unknown sections
    dropped; :class:`DecodeError` for a setting of the wrong type."""
    return decode(loads(json.dumps(config), parse_constant=_no_constant))


def refusal(config: dict[str, Any]) -> tuple[str, str] | None:
    """Why the server would refuse to start with ``config`` as its configuration file: a
    setting of the wrong JSON type (Go's ``json.Unmarshal`` message), or the first setting
    ``Config.IsValid`` refuses once the store loaded it (what to fix and the error id).
    Returns ``(problem, error id or "")``, or None if the server starts with it."""
    try:
        read = decoded(config)
    except DecodeError as exc:
        return str(exc), ""
    # the keys the store generates are valid whatever they are: a fixed one will do
    problem = invalid(load(read, lambda: "k" * 32))
    return None if problem is None else (problem.fix, problem.error_id)
