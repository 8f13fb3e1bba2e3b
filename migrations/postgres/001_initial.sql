-- Reference users table and the social accounts linked to them.
CREATE TABLE users (
  id BIGSERIAL PRIMARY KEY,
  email TEXT,
  username TEXT,
  first_name TEXT,
  last_name TEXT,
  is_active BOOLEAN NOT NULL DEFAULT TRUE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Email lookups ignore ASCII case, so uniqueness does too. Under the C collation lower() folds ASCII
-- letters only, so look-alike letters such as the Kelvin sign or a dotted capital I stay distinct,
-- as they do in the SQLite schema's NOCASE.
CREATE UNIQUE INDEX users_email_lower ON users (lower(email COLLATE "C"));

CREATE TABLE social_accounts (
  id BIGSERIAL PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider TEXT NOT NULL,
  uid TEXT NOT NULL,
  email TEXT,
  -- Provider tokens, encrypted (AES-256-GCM) when the host gives an encryption key.
  access_token TEXT,
  refresh_token TEXT,
  id_token TEXT,
  token_expires_at TIMESTAMPTZ,
  scope TEXT,
  extra_data JSONB NOT NULL DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_login_at TIMESTAMPTZ,
  UNIQUE (provider, uid)
);

CREATE INDEX social_accounts_user_id ON social_accounts (user_id);
