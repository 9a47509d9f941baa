-- Text extracted from files for search (SetFileSearchableContent).
CREATE TABLE IF NOT EXISTS file_search_content (
    file_id TEXT PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
    content TEXT NOT NULL
);

-- Resumable uploads (CreateUploadSession / UploadData / GetUploadSession).
CREATE TABLE IF NOT EXISTS upload_sessions (
    id      TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    data    TEXT NOT NULL,              -- the UploadSession (file_offset kept in step)
    content BLOB NOT NULL DEFAULT x''   -- the bytes received so far
);
