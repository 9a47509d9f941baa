-- User groups (LDAP, custom, plugin-sourced), their members and the teams/channels they sync to.
CREATE TABLE IF NOT EXISTS user_groups (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL DEFAULT '',
    source    TEXT NOT NULL,
    remote_id TEXT NOT NULL DEFAULT '',
    delete_at INTEGER NOT NULL DEFAULT 0,
    data      TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS user_groups_name ON user_groups(name) WHERE name <> '';
CREATE UNIQUE INDEX IF NOT EXISTS user_groups_remote
    ON user_groups(source, remote_id) WHERE remote_id <> '';

CREATE TABLE IF NOT EXISTS group_members (
    group_id  TEXT NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    create_at INTEGER NOT NULL,
    delete_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, user_id)
);

CREATE TABLE IF NOT EXISTS group_syncables (
    group_id      TEXT NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
    syncable_id   TEXT NOT NULL,
    syncable_type TEXT NOT NULL,     -- 'Team' or 'Channel'
    delete_at     INTEGER NOT NULL DEFAULT 0,
    data          TEXT NOT NULL,
    PRIMARY KEY (group_id, syncable_id, syncable_type)
);
