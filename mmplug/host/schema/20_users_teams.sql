-- Users and teams area: images and personal access tokens (see mmplug/host/api/users*.py, teams.py).

CREATE TABLE IF NOT EXISTS profile_images (
    user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    content    BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS team_icons (
    team_id    TEXT PRIMARY KEY REFERENCES teams(id) ON DELETE CASCADE,
    content    BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS access_tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token      TEXT NOT NULL UNIQUE,
    data       TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS team_members_by_user ON team_members(user_id);
CREATE INDEX IF NOT EXISTS channel_members_by_user ON channel_members(user_id);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions(user_id);
