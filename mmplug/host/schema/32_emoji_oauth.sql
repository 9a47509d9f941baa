-- Custom emoji (there is no PluginAPI call to create one: worlds/tests add them with
-- mmplug.host.api.emoji.add_emoji).
CREATE TABLE IF NOT EXISTS emoji (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    delete_at INTEGER NOT NULL DEFAULT 0,
    data      TEXT NOT NULL,
    image     BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS emoji_live_name ON emoji(name) WHERE delete_at = 0;

-- OAuth 2.0 client apps (CreateOAuthApp and friends).
CREATE TABLE IF NOT EXISTS oauth_apps (
    id   TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
