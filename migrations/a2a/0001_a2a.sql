-- A2A tasks and dashboard chat of the crow-a2a worker (its own D1 database, binding DB).
-- Every row carries organization_id and every query filters on it.

CREATE TABLE IF NOT EXISTS a2a_tasks (
  id              TEXT PRIMARY KEY,           -- task_…
  organization_id TEXT NOT NULL,
  context_id      TEXT NOT NULL,              -- ctx_… (generated unless the caller sent one)
  key_id          TEXT,                       -- the API key that created it
  state           TEXT NOT NULL,              -- submitted | working | completed | failed | canceled
  status_text     TEXT,                       -- the agent's status message (failures)
  answer          TEXT,                       -- the answer artifact's text
  sources         TEXT NOT NULL DEFAULT '[]', -- JSON [{tool, kind, id, title?}]
  tool_calls      TEXT NOT NULL DEFAULT '[]', -- JSON [{name, arguments, ok, error?}]
  model           TEXT,
  metadata        TEXT NOT NULL DEFAULT '{}', -- the caller's message/request metadata
  created_at      INTEGER NOT NULL,           -- epoch ms
  updated_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS a2a_tasks_org_updated ON a2a_tasks (organization_id, updated_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS a2a_tasks_org_context ON a2a_tasks (organization_id, context_id, created_at);

CREATE TABLE IF NOT EXISTS a2a_messages (
  id              TEXT NOT NULL,              -- messageId (the caller's for user messages)
  task_id         TEXT NOT NULL REFERENCES a2a_tasks (id) ON DELETE CASCADE,
  organization_id TEXT NOT NULL,
  context_id      TEXT NOT NULL,
  seq             INTEGER NOT NULL,           -- order within the task
  role            TEXT NOT NULL,              -- user | agent
  parts           TEXT NOT NULL,              -- JSON [{text}|{data}]
  created_at      INTEGER NOT NULL,
  PRIMARY KEY (task_id, seq)
);
CREATE INDEX IF NOT EXISTS a2a_messages_org_context ON a2a_messages (organization_id, context_id, created_at);

CREATE TABLE IF NOT EXISTS chat_sessions (
  id              TEXT PRIMARY KEY,           -- chs_…
  organization_id TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  title           TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_sessions_owner ON chat_sessions (organization_id, user_id, updated_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS chat_messages (
  id              TEXT PRIMARY KEY,           -- chm_…
  session_id      TEXT NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
  organization_id TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  role            TEXT NOT NULL,              -- user | assistant
  content         TEXT NOT NULL,
  sources         TEXT NOT NULL DEFAULT '[]',
  tool_calls      TEXT NOT NULL DEFAULT '[]',
  model           TEXT,
  created_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_messages_session ON chat_messages (session_id, created_at, id);
