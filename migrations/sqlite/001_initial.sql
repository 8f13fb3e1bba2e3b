-- Reference users table and the social accounts linked to them.
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  -- NOCASE makes the uniqueness check case-insensitive for ASCII, as email lookups are.
  email TEXT UNIQUE COLLATE NOCASE,
  username TEXT,
  first_name TEXT,
  last_name TEXT,
  is_active INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE social_accounts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider TEXT NOT NULL,
  uid TEXT NOT NULL,
  email TEXT,
  -- Provider tokens, encrypted (AES-256-GCM) when the host gives an encryption key.
  access_token TEXT,
  refresh_token TEXT,
  id_token TEXT,
  token_expires_at TEXT,
  scope TEXT,
  extra_data TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  last_login_at TEXT,
  UNIQUE (provider, uid)
);

CREATE INDEX social_accounts_user_id ON social_accounts (user_id);
