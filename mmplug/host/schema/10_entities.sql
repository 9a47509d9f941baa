-- The server's entities. Each row keeps the looked-up columns plus `data`: the whole
-- entity in protobuf's JSON mapping (preserving proto field names).

CREATE TABLE IF NOT EXISTS users (
    id        TEXT PRIMARY KEY,
    username  TEXT NOT NULL UNIQUE,
    email     TEXT NOT NULL UNIQUE,
    delete_at INTEGER NOT NULL DEFAULT 0,
    is_bot    INTEGER NOT NULL DEFAULT 0,
    data      TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS statuses (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    data    TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS sessions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token      TEXT NOT NULL UNIQUE,
    expires_at INTEGER NOT NULL DEFAULT 0,
    data       TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS teams (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL UNIQUE,
    delete_at INTEGER NOT NULL DEFAULT 0,
    data      TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS team_members (
    team_id   TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    delete_at INTEGER NOT NULL DEFAULT 0,
    data      TEXT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);

-- Direct and group channels have team_id ''.
CREATE TABLE IF NOT EXISTS channels (
    id        TEXT PRIMARY KEY,
    team_id   TEXT NOT NULL DEFAULT '',
    name      TEXT NOT NULL,
    type      TEXT NOT NULL,            -- 'O' open, 'P' private, 'D' direct, 'G' group
    delete_at INTEGER NOT NULL DEFAULT 0,
    data      TEXT NOT NULL,
    UNIQUE (team_id, name)
);

CREATE TABLE IF NOT EXISTS channel_members (
    channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    data       TEXT NOT NULL,
    PRIMARY KEY (channel_id, user_id)
);

CREATE TABLE IF NOT EXISTS posts (
    id         TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    root_id    TEXT NOT NULL DEFAULT '',
    create_at  INTEGER NOT NULL,
    update_at  INTEGER NOT NULL,
    delete_at  INTEGER NOT NULL DEFAULT 0,
    ephemeral  INTEGER NOT NULL DEFAULT 0,  -- SendEphemeralPost: shown to one user, never stored by the server
    data       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_by_channel ON posts(channel_id, create_at);
CREATE INDEX IF NOT EXISTS posts_by_root ON posts(root_id, create_at);

CREATE TABLE IF NOT EXISTS reactions (
    user_id    TEXT NOT NULL,
    post_id    TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    emoji_name TEXT NOT NULL,
    create_at  INTEGER NOT NULL,
    delete_at  INTEGER NOT NULL DEFAULT 0,  -- removed reactions stay, as on the server
    data       TEXT NOT NULL,
    PRIMARY KEY (user_id, post_id, emoji_name)
);

CREATE TABLE IF NOT EXISTS bots (
    user_id  TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    owner_id TEXT NOT NULL DEFAULT '',
    data     TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS commands (
    id        TEXT PRIMARY KEY,
    plugin_id TEXT NOT NULL DEFAULT '',
    team_id   TEXT NOT NULL DEFAULT '',
    trigger   TEXT NOT NULL,
    data      TEXT NOT NULL,
    UNIQUE (team_id, trigger)
);

CREATE TABLE IF NOT EXISTS files (
    id         TEXT PRIMARY KEY,
    creator_id TEXT NOT NULL DEFAULT '',
    post_id    TEXT NOT NULL DEFAULT '',
    channel_id TEXT NOT NULL DEFAULT '',
    path       TEXT NOT NULL DEFAULT '',
    content    BLOB NOT NULL,
    data       TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS preferences (
    user_id  TEXT NOT NULL,
    category TEXT NOT NULL,
    name     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (user_id, category, name)
);

-- Per-plugin key-value store. expire_at is milliseconds since the epoch; 0 never expires.
CREATE TABLE IF NOT EXISTS kv (
    plugin_id TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     BLOB NOT NULL,
    expire_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (plugin_id, key)
);

-- The server configuration (one row, key 'server') and each plugin's settings.
CREATE TABLE IF NOT EXISTS config (
    key  TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS plugin_config (
    plugin_id TEXT PRIMARY KEY,
    data      TEXT NOT NULL
);

-- Roles and their permissions (from the world).
CREATE TABLE IF NOT EXISTS roles (
    name        TEXT PRIMARY KEY,
    permissions TEXT NOT NULL   -- JSON list of permission ids
);

-- Side effects captured for inspection: WebSocket events, cluster events, ...
CREATE TABLE IF NOT EXISTS events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    plugin_id  TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
