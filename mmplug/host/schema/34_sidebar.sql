-- Each user's sidebar categories per team. `data` holds the category; for the default
-- "channels" and "direct_messages" categories, channel_ids only keeps channels placed there
-- by hand (the others are added when read), as the server files new channels there.
CREATE TABLE IF NOT EXISTS sidebar_categories (
    id       TEXT PRIMARY KEY,
    user_id  TEXT NOT NULL,
    team_id  TEXT NOT NULL,
    position INTEGER NOT NULL,
    data     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sidebar_categories_by_user ON sidebar_categories(user_id, team_id);
