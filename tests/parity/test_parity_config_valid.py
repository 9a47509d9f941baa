"""Server parity of SaveConfig's validation: the checks of ``Config.IsValid`` and of each
section's ``isValid``, in the server's order, through real gRPC."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from worldhost import Host

from mmplug.protocol import api_kv_config_pb2 as pb

MODEL = "server/public/model/config.go"
STORE_SET = "server/config/store.go: (*Store).Set"
SET_DEFAULTS = f"{MODEL}: (*Config).SetDefaults"

Case = tuple[dict[str, dict[str, Any]], str, str]


def _config(host: Host) -> dict[str, Any]:
    rsp = host.api.GetUnsanitizedConfig(pb.GetUnsanitizedConfigRequest())
    assert not rsp.error.id
    config: dict[str, Any] = json.loads(rsp.config_json)
    return config


def _save(host: Host, config: dict[str, Any]) -> Any:
    return host.api.SaveConfig(pb.SaveConfigRequest(config_json=json.dumps(config).encode()))


@pytest.fixture
def before(host: Host) -> Iterator[dict[str, Any]]:
    """The configuration before the test, saved back after it."""
    config = _config(host)
    yield config
    assert not _save(host, config).error.id


def _changed(config: dict[str, Any], changes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(config))
    for section, settings in changes.items():
        out.setdefault(section, {}).update(settings)
    return out


def _refused(host: Host, before: dict[str, Any], changes: dict[str, dict[str, Any]],
             error_id: str, named: str, id_prefix: str = "model.config.is_valid.") -> None:
    err = _save(host, _changed(before, changes)).error
    assert (err.id, err.status_code) == ("app.save_config.app_error", 500), err.message
    assert f"({id_prefix}{error_id})" in err.message
    assert named in err.message
    assert _config(host) == before


def _ids(cases: list[Case]) -> list[str]:
    return [case[1] for case in cases]


CONFIG_CASES: list[Case] = [
    ({"ServiceSettings": {"SiteURL": ""}, "EmailSettings": {"EnableEmailBatching": True}},
     "site_url_email_batching.app_error", "ServiceSettings.SiteURL"),
    ({"ClusterSettings": {"Enable": True}, "EmailSettings": {"EnableEmailBatching": True}},
     "cluster_email_batching.app_error", "ClusterSettings.Enable"),
    ({"ServiceSettings": {"SiteURL": "", "AllowCookiesForSubdomains": True}},
     "allow_cookies_for_subdomains.app_error", "ServiceSettings.SiteURL"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*Config).IsValid")
@pytest.mark.parametrize(("changes", "error_id", "named"), CONFIG_CASES, ids=_ids(CONFIG_CASES))
def test_save_config_refuses_settings_that_need_each_other(
        host: Host, before: dict[str, Any], changes: dict[str, dict[str, Any]], error_id: str,
        named: str) -> None:
    """Email batching or subdomain cookies without a site URL, and email batching on a
    cluster, fail with 500 app.save_config.app_error naming the setting; nothing is saved."""
    _refused(host, before, changes, error_id, named)


CACHE_CASES: list[Case] = [
    ({"CacheSettings": {"CacheType": "memcached"}}, "cache_type.app_error",
     "CacheSettings.CacheType"),
    ({"CacheSettings": {"CacheType": "redis"}}, "empty_redis_address.app_error",
     "CacheSettings.RedisAddress"),
    ({"CacheSettings": {"CacheType": "redis", "RedisAddress": "localhost:6379"}},
     "invalid_redis_db.app_error", "CacheSettings.RedisDB"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*CacheSettings).isValid")
@pytest.mark.parametrize(("changes", "error_id", "named"), CACHE_CASES, ids=_ids(CACHE_CASES))
def test_save_config_refuses_a_cache_the_server_cannot_use(
        host: Host, before: dict[str, Any], changes: dict[str, dict[str, Any]], error_id: str,
        named: str) -> None:
    """A cache type other than lru or redis, or a redis cache without an address or with the
    default RedisDB of -1, fails with 500 app.save_config.app_error; nothing is saved."""
    _refused(host, before, changes, error_id, named)


TEAM_CASES: list[Case] = [
    ({"TeamSettings": {"UserStatusAwayTimeout": 0}}, "user_status_away_timeout.app_error",
     "TeamSettings.UserStatusAwayTimeout"),
    ({"TeamSettings": {"RestrictDirectMessage": "nobody"}}, "restrict_direct_message.app_error",
     "TeamSettings.RestrictDirectMessage"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*TeamSettings).isValid")
@pytest.mark.parametrize(("changes", "error_id", "named"), TEAM_CASES, ids=_ids(TEAM_CASES))
def test_save_config_refuses_invalid_team_settings(
        host: Host, before: dict[str, Any], changes: dict[str, dict[str, Any]], error_id: str,
        named: str) -> None:
    """An away timeout of 0 or a direct-message restriction other than any or team fails with
    500 app.save_config.app_error; nothing is saved."""
    _refused(host, before, changes, error_id, named)


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*ExperimentalSettings).isValid")
def test_save_config_refuses_a_link_metadata_timeout_of_zero(
        host: Host, before: dict[str, Any]) -> None:
    """ExperimentalSettings.LinkMetadataTimeoutMilliseconds of 0 or below fails with 500
    app.save_config.app_error; nothing is saved."""
    _refused(host, before, {"ExperimentalSettings": {"LinkMetadataTimeoutMilliseconds": 0}},
             "link_metadata_timeout.app_error", "ExperimentalSettings.LinkMetadataTimeout")


SQL_CASES: list[Case] = [
    ({"SqlSettings": {"MaxIdleConns": 0}}, "sql_idle.app_error", "SqlSettings.MaxIdleConns"),
    ({"SqlSettings": {"ConnMaxLifetimeMilliseconds": -1}},
     "sql_conn_max_lifetime_milliseconds.app_error", "SqlSettings.ConnMaxLifetimeMilliseconds"),
    ({"SqlSettings": {"ConnMaxIdleTimeMilliseconds": -1}},
     "sql_conn_max_idle_time_milliseconds.app_error", "SqlSettings.ConnMaxIdleTimeMilliseconds"),
    ({"SqlSettings": {"QueryTimeout": 0}}, "sql_query_timeout.app_error",
     "SqlSettings.QueryTimeout"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*SqlSettings).isValid")
@pytest.mark.parametrize(("changes", "error_id", "named"), SQL_CASES, ids=_ids(SQL_CASES))
def test_save_config_refuses_invalid_database_limits(
        host: Host, before: dict[str, Any], changes: dict[str, dict[str, Any]], error_id: str,
        named: str) -> None:
    """No idle connections, a negative connection lifetime or idle time, or a query timeout
    of 0 fails with 500 app.save_config.app_error; nothing is saved."""
    _refused(host, before, changes, error_id, named)


FILE_CASES: list[Case] = [
    ({"FileSettings": {"MaxImageDecoderConcurrency": 0}},
     "image_decoder_concurrency.app_error", "FileSettings.MaxImageDecoderConcurrency"),
    ({"FileSettings": {"MaxImageDecoderConcurrency": -2}},
     "image_decoder_concurrency.app_error", "FileSettings.MaxImageDecoderConcurrency"),
    ({"FileSettings": {"AmazonS3RequestTimeoutMilliseconds": 0}},
     "amazons3_timeout.app_error", "FileSettings.AmazonS3RequestTimeoutMilliseconds"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*FileSettings).isValid")
@pytest.mark.parametrize(("changes", "error_id", "named"), FILE_CASES,
                         ids=["decoders-0", "decoders-minus-2", "s3-timeout"])
def test_save_config_refuses_invalid_file_limits(
        host: Host, before: dict[str, Any], changes: dict[str, dict[str, Any]], error_id: str,
        named: str) -> None:
    """An image decoder concurrency of 0 or below -1, or an S3 request timeout of 0, fails
    with 500 app.save_config.app_error; nothing is saved."""
    _refused(host, before, changes, error_id, named)


EMAIL_CASES: list[Case] = [
    ({"EmailSettings": {"ConnectionSecurity": "SSL"}}, "email_security.app_error",
     "EmailSettings.ConnectionSecurity"),
    ({"EmailSettings": {"EmailBatchingBufferSize": 0}}, "email_batching_buffer_size.app_error",
     "EmailSettings.EmailBatchingBufferSize"),
    ({"EmailSettings": {"EmailBatchingInterval": 29}}, "email_batching_interval.app_error",
     "EmailSettings.EmailBatchingInterval"),
    ({"EmailSettings": {"EmailNotificationContentsType": "short"}},
     "email_notification_contents_type.app_error", "EmailSettings.EmailNotificationContentsType"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*EmailSettings).isValid")
@pytest.mark.parametrize(("changes", "error_id", "named"), EMAIL_CASES, ids=_ids(EMAIL_CASES))
def test_save_config_refuses_invalid_email_settings(
        host: Host, before: dict[str, Any], changes: dict[str, dict[str, Any]], error_id: str,
        named: str) -> None:
    """An unknown SMTP connection security, an email batch buffer of 0, a batching interval
    under 30 seconds or an unknown notification contents type fails with 500
    app.save_config.app_error; nothing is saved."""
    _refused(host, before, changes, error_id, named)


LDAP_ON = {"Enable": True, "LdapServer": "ldap.example.com", "BaseDN": "dc=example,dc=com",
           "EmailAttribute": "mail", "UsernameAttribute": "uid", "IdAttribute": "uid"}
LDAP_CASES: list[Case] = [
    ({"LdapSettings": {"ConnectionSecurity": "PLAIN"}}, "ldap_security.app_error",
     "LdapSettings.ConnectionSecurity"),
    ({"LdapSettings": {"SyncIntervalMinutes": 0}}, "ldap_sync_interval.app_error",
     "LdapSettings.SyncIntervalMinutes"),
    ({"LdapSettings": {"MaxPageSize": -1}}, "ldap_max_page_size.app_error",
     "LdapSettings.MaxPageSize"),
    ({"LdapSettings": {**LDAP_ON, "LoginIdAttribute": ""}}, "ldap_login_id",
     "LdapSettings.LoginIdAttribute"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*LdapSettings).isValid")
@pytest.mark.parametrize(("changes", "error_id", "named"), LDAP_CASES, ids=_ids(LDAP_CASES))
def test_save_config_refuses_invalid_ldap_settings(
        host: Host, before: dict[str, Any], changes: dict[str, dict[str, Any]], error_id: str,
        named: str) -> None:
    """An LDAP connection security other than none, TLS or STARTTLS, a sync interval of 0, a
    negative page size, or LDAP on with an empty login id attribute fails with 500
    app.save_config.app_error; nothing is saved."""
    _refused(host, before, changes, error_id, named)


@pytest.mark.parity(("SaveConfig",), f"{STORE_SET}; {SET_DEFAULTS}; "
                                     f"{MODEL}: (*LdapSettings).isValid")
def test_save_config_takes_the_ldap_id_attribute_as_the_login_id_attribute(
        host: Host, before: dict[str, Any]) -> None:
    """LDAP on with a save that leaves out LdapSettings.LoginIdAttribute logs in with the id
    attribute, as the server's defaults give it, so the save passes."""
    changed = _changed(before, {"LdapSettings": LDAP_ON})
    del changed["LdapSettings"]["LoginIdAttribute"]
    assert not _save(host, changed).error.id
    assert _config(host)["LdapSettings"]["LoginIdAttribute"] == "uid"


LDAP_COMPLETE = {**LDAP_ON, "LoginIdAttribute": "uid"}
LDAP_FILTER_CASES: list[tuple[str, str, str, str]] = [
    ("UserFilter", "objectClass=person", "validate_filter",
     "ldap: filter does not start with an '('"),
    ("UserFilter", "(objectClass=person", "validate_filter", "ldap: unexpected end of filter"),
    ("UserFilter", "(&(objectClass=person)(uid=*)", "validate_filter",
     "ldap: unexpected end of filter"),
    ("UserFilter", "(objectClass)", "validate_filter", "ldap: error parsing filter"),
    ("UserFilter", "(cn=a\\zz)", "validate_filter",
     "ldap: invalid characters for escape in filter"),
    ("UserFilter", "(cn=a\\)", "validate_filter", "ldap: missing characters for escape in filter"),
    ("GuestFilter", "(uid=a)(uid=b)", "validate_guest_filter",
     "ldap: finished compiling filter with extra at end: (uid=b)"),
    ("GuestFilter", "(&(", "validate_guest_filter", "ldap: error reading rune at position 3"),
    # the library recovers from a panic on a missing child, or on an escape cut short, with
    # no error at position 0: the whole filter is left over
    ("AdminFilter", "(!", "validate_admin_filter",
     "ldap: finished compiling filter with extra at end: (!"),
    ("AdminFilter", "(cn=\\4)", "validate_admin_filter",
     "ldap: finished compiling filter with extra at end: (cn=\\4)"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*LdapSettings).isValid; "
                                  "github.com/mattermost/ldap filter.go: CompileFilter")
@pytest.mark.parametrize(("setting", "text", "error_id", "why"), LDAP_FILTER_CASES,
                         ids=[f"{case[0]}-{case[3][6:26]}" for case in LDAP_FILTER_CASES])
def test_save_config_refuses_an_ldap_filter_the_ldap_library_cannot_compile(
        host: Host, before: dict[str, Any], setting: str, text: str, error_id: str,
        why: str) -> None:
    """LDAP on with a user, guest or admin filter the LDAP library's CompileFilter refuses
    fails with 500 app.save_config.app_error naming the filter, the ent.ldap id and the
    library's reason; nothing is saved."""
    _refused(host, before, {"LdapSettings": {**LDAP_COMPLETE, setting: text}},
             f"ent.ldap.{error_id}.app_error", f"LdapSettings.{setting}", id_prefix="")
    assert why in _save(host, _changed(before, {"LdapSettings": {**LDAP_COMPLETE, setting: text}})
                        ).error.message


# a filter the LDAP library compiles, and next to it one it does not
LDAP_FILTER_EDGES = [
    ("(&(objectClass=person)(|(uid=a*)(mail=*@example.com))(!(nsAccountLock=TRUE)))",
     "(&(objectClass=person)(|(uid=a*)(mail=*@example.com))(!(nsAccountLock=TRUE))"),
    ("(cn:dn:2.4.6.8.10:=Dino)", "(cn:dn:2.4.6.8.10:=Dino"),
    ("(cn=caf\\c3\\a9)", "(cn=caf\\c3\\g9)"),
    ("(uid>=m)", "(uid>m)"),
    ("(&)", "(&"),
    ("((uid=a))", "((uid=a)"),
    # what the library does not check: the attribute, the ')' that ends a list, the
    # parentheses after '!'
    ("(=a)", "(a)"),
    ("(&(uid=a)x", "(&(uid=a)"),
    ("(!uid=a)", "(!uid=a"),
    ("(" * 2000 + "uid=a" + ")" * 2000, "(" * 2000 + "uid=a" + ")" * 1999),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*LdapSettings).isValid; "
                                  "github.com/mattermost/ldap filter.go: CompileFilter")
@pytest.mark.parametrize(("compiled", "refused"), LDAP_FILTER_EDGES,
                         ids=[edge[0] if len(edge[0]) < 100 else "nested-2000-deep"
                              for edge in LDAP_FILTER_EDGES])
def test_save_config_takes_the_ldap_filters_the_ldap_library_compiles(
        host: Host, before: dict[str, Any], compiled: str, refused: str) -> None:
    """LDAP on with user, guest and admin filters the LDAP library compiles is saved, quirks
    of its compiler included (the group filter is not compiled); a filter a character away
    that it does not compile is refused."""
    filters = {"UserFilter": compiled, "GuestFilter": compiled, "AdminFilter": compiled,
               "GroupFilter": "(broken"}
    err = _save(host, _changed(before, {"LdapSettings": {**LDAP_COMPLETE, **filters}})).error
    assert not err.id, err.message
    _refused(host, _config(host), {"LdapSettings": {"UserFilter": refused}},
             "ent.ldap.validate_filter.app_error", "LdapSettings.UserFilter", id_prefix="")


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*LdapSettings).isValid")
def test_save_config_compiles_ldap_filters_only_when_ldap_is_on(
        host: Host, before: dict[str, Any]) -> None:
    """With LDAP off a user filter that does not compile is saved as it is; turning LDAP on
    with it is refused."""
    err = _save(host, _changed(before, {"LdapSettings": {"UserFilter": "(uid="}})).error
    assert not err.id, err.message
    assert _config(host)["LdapSettings"]["UserFilter"] == "(uid="
    _refused(host, _config(host), {"LdapSettings": LDAP_COMPLETE},
             "ent.ldap.validate_filter.app_error", "LdapSettings.UserFilter", id_prefix="")


SAML = "SamlSettings"
SAML_ON = {"Enable": True, "IdpURL": "https://idp.example.com/sso",
           "IdpDescriptorURL": "https://idp.example.com/metadata",
           "IdpCertificateFile": "saml-idp.crt", "EmailAttribute": "mail",
           "UsernameAttribute": "uid", "ServiceProviderIdentifier": "mattermost",
           "AssertionConsumerServiceURL": "https://chat.example.com/login/sso/saml",
           "PrivateKeyFile": "saml-private.key", "PublicCertificateFile": "saml-public.crt"}
SAML_CASES: list[Case] = [
    ({SAML: {"Enable": True}}, "saml_idp_url.app_error", f"{SAML}.IdpURL"),
    ({SAML: {**SAML_ON, "IdpURL": "idp.example.com/sso"}}, "saml_idp_url.app_error",
     f"{SAML}.IdpURL"),
    ({SAML: {**SAML_ON, "IdpURL": "https:///sso"}}, "saml_idp_url.app_error", f"{SAML}.IdpURL"),
    ({SAML: {**SAML_ON, "IdpDescriptorURL": ""}}, "saml_idp_descriptor_url.app_error",
     f"{SAML}.IdpDescriptorURL"),
    ({SAML: {**SAML_ON, "IdpCertificateFile": ""}}, "saml_idp_cert.app_error",
     f"{SAML}.IdpCertificateFile"),
    ({SAML: {**SAML_ON, "EmailAttribute": ""}}, "saml_email_attribute.app_error",
     f"{SAML}.EmailAttribute"),
    ({SAML: {**SAML_ON, "UsernameAttribute": ""}}, "saml_username_attribute.app_error",
     f"{SAML}.UsernameAttribute"),
    ({SAML: {**SAML_ON, "ServiceProviderIdentifier": ""}},
     "saml_spidentifier_attribute.app_error", f"{SAML}.ServiceProviderIdentifier"),
    ({SAML: {**SAML_ON, "AssertionConsumerServiceURL": ""}},
     "saml_assertion_consumer_service_url.app_error", f"{SAML}.AssertionConsumerServiceURL"),
    ({SAML: {**SAML_ON, "PrivateKeyFile": ""}}, "saml_private_key.app_error",
     f"{SAML}.PrivateKeyFile"),
    ({SAML: {**SAML_ON, "PublicCertificateFile": ""}}, "saml_public_cert.app_error",
     f"{SAML}.PublicCertificateFile"),
    ({SAML: {**SAML_ON, "SignatureAlgorithm": "RSAwithSHA384"}},
     "saml_signature_algorithm.app_error", f"{SAML}.SignatureAlgorithm"),
    ({SAML: {**SAML_ON, "CanonicalAlgorithm": "Canonical2.0"}},
     "saml_canonical_algorithm.app_error", f"{SAML}.CanonicalAlgorithm"),
    ({SAML: {**SAML_ON, "GuestAttribute": "role"}}, "saml_guest_attribute.app_error",
     f"{SAML}.GuestAttribute"),
    ({SAML: {**SAML_ON, "AdminAttribute": "role=admin=yes"}}, "saml_admin_attribute.app_error",
     f"{SAML}.AdminAttribute"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*SamlSettings).isValid")
@pytest.mark.parametrize(("changes", "error_id", "named"), SAML_CASES,
                         ids=["off-by-default-url", "url-no-scheme", "url-no-host",
                              *_ids(SAML_CASES)[3:]])
def test_save_config_refuses_incomplete_saml_settings(
        host: Host, before: dict[str, Any], changes: dict[str, dict[str, Any]], error_id: str,
        named: str) -> None:
    """SAML on without an http(s) IdP URL with a host, an IdP descriptor URL, an IdP
    certificate, email or username attributes or a service provider identifier; with Verify
    (the default) and no assertion consumer URL; with Encrypt (the default) and no private key
    or public certificate; with an unknown signature or canonical algorithm; or with a guest or
    admin attribute that is not attribute=value fails with 500 app.save_config.app_error;
    nothing is saved."""
    _refused(host, before, changes, error_id, named)


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {SET_DEFAULTS}; {MODEL}: (*SamlSettings).isValid")
def test_save_config_accepts_complete_saml_settings(host: Host, before: dict[str, Any]) -> None:
    """SAML on with every setting its checks need is saved; a save that leaves out its
    service provider identifier gets the IdP descriptor URL, as the server's defaults give
    it; with Verify and Encrypt off it needs no assertion consumer URL or keys; a query in
    the IdP URL is no part of its host."""
    changed = _changed(before, {SAML: {**SAML_ON, "GuestAttribute": "role=guest"}})
    del changed[SAML]["ServiceProviderIdentifier"]
    err = _save(host, changed).error
    assert not err.id, err.message
    saml = _config(host)[SAML]
    assert saml["ServiceProviderIdentifier"] == SAML_ON["IdpDescriptorURL"]
    assert (saml["SignatureAlgorithm"], saml["CanonicalAlgorithm"]) == ("RSAwithSHA1",
                                                                        "Canonical1.0")
    bare = {**SAML_ON, "Verify": False, "Encrypt": False, "AssertionConsumerServiceURL": "",
            "PrivateKeyFile": "", "PublicCertificateFile": "",
            "IdpURL": "https://idp.example.com?next=/sso"}
    err = _save(host, _changed(before, {SAML: bare})).error
    assert not err.id, err.message


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*RateLimitSettings).isValid")
def test_save_config_refuses_a_rate_limit_store_of_zero(
        host: Host, before: dict[str, Any]) -> None:
    """RateLimitSettings.MemoryStoreSize of 0 or below fails with 500
    app.save_config.app_error; nothing is saved."""
    _refused(host, before, {"RateLimitSettings": {"MemoryStoreSize": 0}}, "rate_mem.app_error",
             "RateLimitSettings.MemoryStoreSize")


SERVICE_CASES: list[Case] = [
    ({"ServiceSettings": {"ConnectionSecurity": "SSL"}}, "webserver_security.app_error",
     "ServiceSettings.ConnectionSecurity"),
    ({"ServiceSettings": {"ConnectionSecurity": "TLS"}}, "tls_cert_file_missing.app_error",
     "ServiceSettings.TLSCertFile"),
    ({"ServiceSettings": {"ConnectionSecurity": "TLS", "TLSCertFile": "cert.pem"}},
     "tls_key_file_missing.app_error", "ServiceSettings.TLSKeyFile"),
    ({"ServiceSettings": {"TLSOverwriteCiphers": ["TLS_AES_128_GCM_SHA256"]}},
     "tls_overwrite_cipher.app_error", "ServiceSettings.TLSOverwriteCiphers"),
    ({"ServiceSettings": {"MaximumURLLength": 0}}, "max_url_length.app_error",
     "ServiceSettings.MaximumURLLength"),
    ({"ServiceSettings": {"ReadTimeout": 0}}, "read_timeout.app_error",
     "ServiceSettings.ReadTimeout"),
    ({"ServiceSettings": {"WriteTimeout": -5}}, "write_timeout.app_error",
     "ServiceSettings.WriteTimeout"),
    ({"ServiceSettings": {"TimeBetweenUserTypingUpdatesMilliseconds": 999}},
     "time_between_user_typing.app_error",
     "ServiceSettings.TimeBetweenUserTypingUpdatesMilliseconds"),
    ({"ServiceSettings": {"MaximumLoginAttempts": 0}}, "login_attempts.app_error",
     "ServiceSettings.MaximumLoginAttempts"),
    ({"ServiceSettings": {"WebsocketURL": "chat.example.com"}}, "websocket_url.app_error",
     "ServiceSettings.WebsocketURL"),
    ({"ServiceSettings": {"OutgoingIntegrationRequestsTimeout": 0}},
     "outgoing_integrations_request_timeout.app_error",
     "ServiceSettings.OutgoingIntegrationRequestsTimeout"),
    ({"ServiceSettings": {"ExperimentalGroupUnreadChannels": "always"}},
     "group_unread_channels.app_error", "ServiceSettings.ExperimentalGroupUnreadChannels"),
    ({"ServiceSettings": {"PersistentNotificationIntervalMinutes": 1}},
     "persistent_notifications_interval.app_error",
     "ServiceSettings.PersistentNotificationIntervalMinutes"),
    ({"ServiceSettings": {"PersistentNotificationMaxCount": 0}},
     "persistent_notifications_count.app_error", "ServiceSettings.PersistentNotificationMaxCount"),
    ({"ServiceSettings": {"PersistentNotificationMaxRecipients": 0}},
     "persistent_notifications_recipients.app_error",
     "ServiceSettings.PersistentNotificationMaxRecipients"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*ServiceSettings).isValid")
@pytest.mark.parametrize(("changes", "error_id", "named"), SERVICE_CASES,
                         ids=_ids(SERVICE_CASES))
def test_save_config_refuses_invalid_service_settings(
        host: Host, before: dict[str, Any], changes: dict[str, dict[str, Any]], error_id: str,
        named: str) -> None:
    """A web server connection security other than none or TLS, TLS without a certificate
    or key file, an unknown cipher suite, a URL length, timeout or login attempt limit of 0,
    a relative websocket URL, typing updates under a second, an unknown unread-channel
    grouping or persistent notifications under 2 minutes or with no count or recipients fails
    with 500 app.save_config.app_error; nothing is saved."""
    _refused(host, before, changes, error_id, named)


ELASTIC = "ElasticsearchSettings"
ELASTIC_CASES: list[Case] = [
    ({ELASTIC: {"EnableIndexing": True, "ConnectionURL": ""}},
     "elastic_search.connection_url.app_error", f"{ELASTIC}.ConnectionURL"),
    ({ELASTIC: {"EnableSearching": True}}, "elastic_search.enable_searching.app_error",
     f"{ELASTIC}.EnableSearching"),
    ({ELASTIC: {"EnableAutocomplete": True}}, "elastic_search.enable_autocomplete.app_error",
     f"{ELASTIC}.EnableAutocomplete"),
    ({ELASTIC: {"AggregatePostsAfterDays": 0}},
     "elastic_search.aggregate_posts_after_days.app_error", f"{ELASTIC}.AggregatePostsAfterDays"),
    ({ELASTIC: {"PostsAggregatorJobStartTime": "3am"}},
     "elastic_search.posts_aggregator_job_start_time.app_error",
     f"{ELASTIC}.PostsAggregatorJobStartTime"),
    ({ELASTIC: {"LiveIndexingBatchSize": 0}}, "elastic_search.live_indexing_batch_size.app_error",
     f"{ELASTIC}.LiveIndexingBatchSize"),
    ({ELASTIC: {"BatchSize": 0}}, "elastic_search.bulk_indexing_batch_size.app_error",
     f"{ELASTIC}.BatchSize"),
    ({ELASTIC: {"RequestTimeoutSeconds": 0}}, "elastic_search.request_timeout_seconds.app_error",
     f"{ELASTIC}.RequestTimeoutSeconds"),
    ({ELASTIC: {"IgnoredPurgeIndexes": "logs,-posts"}},
     "elastic_search.ignored_indexes_dash_prefix.app_error", f"{ELASTIC}.IgnoredPurgeIndexes"),
    ({ELASTIC: {"Backend": "solr"}}, "elastic_search.invalid_backend.app_error",
     f"{ELASTIC}.Backend"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*ElasticsearchSettings).isValid")
@pytest.mark.parametrize(("changes", "error_id", "named"), ELASTIC_CASES,
                         ids=_ids(ELASTIC_CASES))
def test_save_config_refuses_invalid_elasticsearch_settings(
        host: Host, before: dict[str, Any], changes: dict[str, dict[str, Any]], error_id: str,
        named: str) -> None:
    """Indexing without a connection URL, searching or autocomplete without indexing, a batch
    size, timeout or aggregation age of 0, a job start time that is not HH:MM, an ignored
    index starting with a dash or an unknown backend fails with 500 app.save_config.app_error;
    nothing is saved."""
    _refused(host, before, changes, error_id, named)


BLEVE_CASES: list[Case] = [
    ({"BleveSettings": {"EnableIndexing": True}}, "bleve_search.filename.app_error",
     "BleveSettings.IndexDir"),
    ({"BleveSettings": {"EnableSearching": True}}, "bleve_search.enable_searching.app_error",
     "BleveSettings.EnableSearching"),
    ({"BleveSettings": {"EnableAutocomplete": True}},
     "bleve_search.enable_autocomplete.app_error", "BleveSettings.EnableAutocomplete"),
    ({"BleveSettings": {"BatchSize": 0}}, "bleve_search.bulk_indexing_batch_size.app_error",
     "BleveSettings.BatchSize"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*BleveSettings).isValid")
@pytest.mark.parametrize(("changes", "error_id", "named"), BLEVE_CASES, ids=_ids(BLEVE_CASES))
def test_save_config_refuses_invalid_bleve_settings(
        host: Host, before: dict[str, Any], changes: dict[str, dict[str, Any]], error_id: str,
        named: str) -> None:
    """Bleve indexing without an index directory, searching or autocomplete without indexing,
    or a batch size of 0 fails with 500 app.save_config.app_error; nothing is saved."""
    _refused(host, before, changes, error_id, named)


RETENTION = "DataRetentionSettings"
RETENTION_CASES: list[Case] = [
    ({RETENTION: {"MessageRetentionDays": -1}},
     "data_retention.message_retention_days_too_low.app_error",
     f"{RETENTION}.MessageRetentionDays"),
    ({RETENTION: {"FileRetentionHours": -1}},
     "data_retention.file_retention_hours_too_low.app_error", f"{RETENTION}.FileRetentionHours"),
    ({RETENTION: {"MessageRetentionHours": 24}},
     "data_retention.message_retention_misconfiguration.app_error",
     f"{RETENTION}.MessageRetentionDays"),
    ({RETENTION: {"FileRetentionDays": 0, "FileRetentionHours": 0}},
     "data_retention.file_retention_both_zero.app_error", f"{RETENTION}.FileRetentionDays"),
    ({RETENTION: {"DeletionJobStartTime": "24:00"}},
     "data_retention.deletion_job_start_time.app_error", f"{RETENTION}.DeletionJobStartTime"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*DataRetentionSettings).isValid")
@pytest.mark.parametrize(("changes", "error_id", "named"), RETENTION_CASES,
                         ids=_ids(RETENTION_CASES))
def test_save_config_refuses_invalid_data_retention(
        host: Host, before: dict[str, Any], changes: dict[str, dict[str, Any]], error_id: str,
        named: str) -> None:
    """A negative retention, a retention given in both days and hours (the days default to
    365), no retention at all or a deletion time that is not HH:MM fails with 500
    app.save_config.app_error; nothing is saved."""
    _refused(host, before, changes, error_id, named)


EXPORT = "MessageExportSettings"
RELAY = {"CustomerType": "A9", "EmailAddress": "archive@example.com", "SMTPUsername": "relay",
         "SMTPPassword": "secret"}
EXPORT_CASES: list[Case] = [
    ({EXPORT: {"EnableExport": True, "ExportFromTimestamp": -1}},
     "message_export.export_from.app_error", f"{EXPORT}.ExportFromTimestamp"),
    ({EXPORT: {"EnableExport": True, "ExportFromTimestamp": 4102444800000}},  # in 2100
     "message_export.export_from.app_error", f"{EXPORT}.ExportFromTimestamp"),
    ({EXPORT: {"EnableExport": True, "DailyRunTime": "1am"}},
     "message_export.daily_runtime.app_error", f"{EXPORT}.DailyRunTime"),
    ({EXPORT: {"EnableExport": True, "BatchSize": -1}}, "message_export.batch_size.app_error",
     f"{EXPORT}.BatchSize"),
    ({EXPORT: {"EnableExport": True, "ExportFormat": "pdf"}},
     "message_export.export_type.app_error", f"{EXPORT}.ExportFormat"),
    ({EXPORT: {"EnableExport": True, "ExportFormat": "globalrelay",
               "GlobalRelaySettings": {**RELAY, "CustomerType": "A11"}}},
     "message_export.global_relay.customer_type.app_error",
     f"{EXPORT}.GlobalRelaySettings.CustomerType"),
    ({EXPORT: {"EnableExport": True, "ExportFormat": "globalrelay",
               "GlobalRelaySettings": {**RELAY, "CustomerType": "CUSTOM"}}},
     "message_export.global_relay.customer_type_custom.app_error",
     f"{EXPORT}.GlobalRelaySettings.CustomSMTPServerName"),
    ({EXPORT: {"EnableExport": True, "ExportFormat": "globalrelay",
               "GlobalRelaySettings": {**RELAY, "EmailAddress": "archive.example.com"}}},
     "message_export.global_relay.email_address.app_error",
     f"{EXPORT}.GlobalRelaySettings.EmailAddress"),
    ({EXPORT: {"EnableExport": True, "ExportFormat": "globalrelay",
               "GlobalRelaySettings": {**RELAY, "SMTPUsername": ""}}},
     "message_export.global_relay.smtp_username.app_error",
     f"{EXPORT}.GlobalRelaySettings.SMTPUsername"),
    ({EXPORT: {"EnableExport": True, "ExportFormat": "globalrelay",
               "GlobalRelaySettings": {**RELAY, "SMTPPassword": ""}}},
     "message_export.global_relay.smtp_password.app_error",
     f"{EXPORT}.GlobalRelaySettings.SMTPPassword"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*MessageExportSettings).isValid")
@pytest.mark.parametrize(("changes", "error_id", "named"), EXPORT_CASES,
                         ids=["export-from-negative", "export-from-future",
                              *_ids(EXPORT_CASES)[2:]])
def test_save_config_refuses_an_invalid_message_export(
        host: Host, before: dict[str, Any], changes: dict[str, dict[str, Any]], error_id: str,
        named: str) -> None:
    """Message export on from a negative or future time, at a daily time that is not HH:MM,
    with a negative batch size or an unknown format, or to Global Relay with an unknown
    customer type, a custom one without its SMTP server, an address without @ or no SMTP
    username or password fails with 500 app.save_config.app_error; nothing is saved."""
    _refused(host, before, changes, error_id, named)


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {SET_DEFAULTS}; "
                                  f"{MODEL}: (*MessageExportSettings).isValid")
def test_save_config_accepts_a_complete_message_export(
        host: Host, before: dict[str, Any]) -> None:
    """Message export on to a custom Global Relay server is saved, the Global Relay settings
    it leaves out given the server's defaults; with export off its settings are not
    checked."""
    relay = {**RELAY, "CustomerType": "CUSTOM", "CustomSMTPServerName": "smtp.example.com"}
    export = {"EnableExport": True, "ExportFormat": "globalrelay", "DailyRunTime": "23:59",
              "BatchSize": 0, "GlobalRelaySettings": relay}
    err = _save(host, _changed(before, {EXPORT: export})).error
    assert not err.id, err.message
    saved = _config(host)[EXPORT]["GlobalRelaySettings"]
    assert (saved["CustomSMTPPort"], saved["SMTPServerTimeout"]) == ("25", 1800)
    off = {"EnableExport": False, "ExportFormat": "pdf", "GlobalRelaySettings": None}
    err = _save(host, _changed(before, {EXPORT: off})).error
    assert not err.id, err.message
    assert _config(host)[EXPORT]["GlobalRelaySettings"]["CustomerType"] == "A9"


LOGGING_CASES: list[tuple[Any, str, str]] = [
    ("console", "json", "json: cannot unmarshal string into Go value of type "
                        "mlog.LoggerConfiguration"),
    ({"main": {"type": "console", "format": "plain", "levels": [{"id": "debug"}]}}, "json",
     "json: cannot unmarshal string into Go struct field Level.levels.id of type logr.LevelID"),
    ({"main": {"type": "udp", "format": "json"}}, "parse",
     "error creating log target main: target type 'udp' is unrecognized"),
    ({"main": {"type": "file", "format": "json"}}, "parse",
     "error creating log target main: missing file target options"),
    ({"main": {"type": "file", "format": "json", "options": {"max_size": 10}}}, "parse",
     "error creating log target main: invalid file target options: filename cannot be empty"),
    ({"main": {"type": "console", "format": "plain", "options": {"out": "tty"}}}, "parse",
     "error creating log target main: invalid console target option 'tty'"),
    ({"main": {"type": "tcp", "format": "gelf", "options": {"host": "logs.example.com"}}},
     "parse", "error creating log target main: invalid TCP target options: missing port"),
    ({"main": {"type": "console", "format": "xml"}}, "parse",
     "error creating formatter for log target main: format 'xml' is unrecognized"),
    ({"main": {"type": "console", "format": "plain", "format_options": {"min_msg_len": 2000}}},
     "parse", "error creating formatter for log target main: invalid plain formatter options: "
              "min_msg_len is invalid(2000)"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*LogSettings).isValid; "
                                  "server/public/shared/mlog: LoggerConfiguration.IsValid")
@pytest.mark.parametrize(("advanced", "step", "why"), LOGGING_CASES,
                         ids=[f"{case[1]}-{case[2][-30:]}" for case in LOGGING_CASES])
def test_save_config_refuses_advanced_logging_the_logging_library_cannot_set_up(
        host: Host, before: dict[str, Any], advanced: Any, step: str, why: str) -> None:
    """Advanced logging JSON that is not an object of log targets of the logging library's
    shape, or a target of an unknown type, without the options its type needs or with an
    unknown format or bad formatter options, fails with 500 app.save_config.app_error naming
    LogSettings.AdvancedLoggingJSON and the library's reason; nothing is saved."""
    changes = {"LogSettings": {"AdvancedLoggingJSON": advanced}}
    _refused(host, before, changes, f"log.advanced_logging.{step}",
             "LogSettings.AdvancedLoggingJSON")
    assert why in _save(host, _changed(before, changes)).error.message


LOGGING = {
    "console": {"type": "console", "format": "plain", "options": {"out": "stderr"},
                "format_options": {"delim": " | "}, "maxqueuesize": 1000,
                "levels": [{"id": 5, "name": "debug"}, {"id": 4, "name": "info", "color": 36}]},
    "file": {"type": "File", "format": "JSON", "levels": [{"id": 2, "name": "error",
                                                           "stacktrace": True}],
             "options": {"filename": "mattermost.log", "max_size": 100, "compress": True}},
    "remote": {"type": "tcp", "format": "gelf", "options": {"host": "logs.example.com",
                                                           "port": 12201}},
    "off": {"type": "none"},
}


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*LogSettings).isValid; "
                                  "server/public/shared/mlog: LoggerConfiguration.IsValid")
def test_save_config_accepts_advanced_logging_the_logging_library_sets_up(
        host: Host, before: dict[str, Any]) -> None:
    """Console, file and TCP targets with their options, formats and levels (types and
    formats in any case) and a target of type none are saved; without its file name the
    file target is refused."""
    err = _save(host, _changed(before, {"LogSettings": {"AdvancedLoggingJSON": LOGGING}})).error
    assert not err.id, err.message
    assert _config(host)["LogSettings"]["AdvancedLoggingJSON"] == LOGGING
    no_name = {**LOGGING, "file": {**LOGGING["file"], "options": {"max_size": 100}}}
    _refused(host, _config(host), {"LogSettings": {"AdvancedLoggingJSON": no_name}},
             "log.advanced_logging.parse", "LogSettings.AdvancedLoggingJSON")


OTHER_CASES: list[Case] = [
    ({"LocalizationSettings": {"AvailableLocales": "de,fr"}},
     "localization.available_locales.app_error", "LocalizationSettings.AvailableLocales"),
    ({"DisplaySettings": {"CustomURLSchemes": ["git", "my scheme"]}},
     "display.custom_url_schemes.app_error", "DisplaySettings.CustomURLSchemes"),
    ({"ImageProxySettings": {"Enable": True, "ImageProxyType": "cdn"}},
     "image_proxy_type.app_error", "ImageProxySettings.ImageProxyType"),
    ({"ImageProxySettings": {"Enable": True, "ImageProxyType": "atmos/camo"}},
     "atmos_camo_image_proxy_url.app_error", "ImageProxySettings.RemoteImageProxyURL"),
    ({"ImportSettings": {"RetentionDays": 0}}, "import.retention_days_too_low.app_error",
     "ImportSettings.RetentionDays"),
    ({"WranglerSettings": {"AllowedEmailDomain": ["example.com", "not a domain"]}},
     "move_thread.domain_invalid.app_error", "WranglerSettings.AllowedEmailDomain"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {MODEL}: (*LocalizationSettings).isValid, "
                                  "(*DisplaySettings).isValid, (*ImageProxySettings).isValid, "
                                  "(*ImportSettings).isValid, (*WranglerSettings).IsValid")
@pytest.mark.parametrize(("changes", "error_id", "named"), OTHER_CASES, ids=_ids(OTHER_CASES))
def test_save_config_refuses_other_invalid_sections(
        host: Host, before: dict[str, Any], changes: dict[str, dict[str, Any]], error_id: str,
        named: str) -> None:
    """Available locales without the default client locale, a custom URL scheme that is not
    a scheme name, an unknown or incomplete image proxy, an import retention of 0 days or a
    move-thread email domain that is not a domain name fails with 500
    app.save_config.app_error; nothing is saved."""
    _refused(host, before, changes, error_id, named)


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {SET_DEFAULTS}; {MODEL}: (*Config).IsValid")
def test_save_config_accepts_what_the_servers_checks_accept(
        host: Host, before: dict[str, Any]) -> None:
    """Values at the edge of each check are saved, and the ones the server's defaults rewrite
    (a PLAIN SMTP connection, unread-channel grouping 0 or 1) are saved rewritten."""
    changes: dict[str, dict[str, Any]] = {
        "EmailSettings": {"ConnectionSecurity": "PLAIN", "EmailBatchingInterval": 30},
        "ServiceSettings": {"ExperimentalGroupUnreadChannels": "1",
                            "TimeBetweenUserTypingUpdatesMilliseconds": 1000,
                            "PersistentNotificationIntervalMinutes": 2,
                            "TLSOverwriteCiphers": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]},
        "DataRetentionSettings": {"MessageRetentionDays": 0, "MessageRetentionHours": 24,
                                  "DeletionJobStartTime": "9:30"},
        "FileSettings": {"MaxImageDecoderConcurrency": -1},
        "LocalizationSettings": {"AvailableLocales": "de,en"},
        "DisplaySettings": {"CustomURLSchemes": [" git ", "x-my.app+1"]},
        "WranglerSettings": {"AllowedEmailDomain": ["example.com", "localhost", "mail.co.uk"]},
        "CacheSettings": {"CacheType": "redis", "RedisAddress": "localhost:6379", "RedisDB": 0},
    }
    err = _save(host, _changed(before, changes)).error
    assert not err.id, err.message
    saved = _config(host)
    assert saved["EmailSettings"]["ConnectionSecurity"] == ""
    assert saved["ServiceSettings"]["ExperimentalGroupUnreadChannels"] == "default_on"
    assert saved["DataRetentionSettings"]["MessageRetentionHours"] == 24
