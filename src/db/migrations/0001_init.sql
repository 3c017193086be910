-- orgd schema. Column names follow Coder's database where a client or an audit diff can see them
-- (rbac_roles, org_permissions, ...), because audit diffs are keyed by column name.

CREATE TYPE login_type AS ENUM ('password', 'github', 'oidc', 'token', 'none');
CREATE TYPE user_status AS ENUM ('active', 'dormant', 'suspended');

CREATE TABLE users (
  id uuid PRIMARY KEY,
  email text NOT NULL,
  username text NOT NULL,
  name text NOT NULL DEFAULT '',
  hashed_password text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  status user_status NOT NULL DEFAULT 'dormant',
  rbac_roles text[] NOT NULL DEFAULT '{}',
  login_type login_type NOT NULL DEFAULT 'password',
  avatar_url text NOT NULL DEFAULT '',
  deleted boolean NOT NULL DEFAULT false,
  last_seen_at timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
  quiet_hours_schedule text NOT NULL DEFAULT '',
  theme_preference text NOT NULL DEFAULT '',
  terminal_font text NOT NULL DEFAULT '',
  github_com_user_id bigint,
  hashed_one_time_passcode bytea,
  one_time_passcode_expires_at timestamptz,
  is_system boolean NOT NULL DEFAULT false,
  CONSTRAINT users_username_length CHECK (char_length(username) BETWEEN 1 AND 32),
  CONSTRAINT users_email_length CHECK (char_length(email) BETWEEN 1 AND 320)
);
-- Usernames and emails are unique case-insensitively among users that are not deleted; deleting a
-- user frees both. The username index also orders user lists (keyset pagination by lower(username)).
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username)) WHERE deleted = false;
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email)) WHERE deleted = false;
CREATE INDEX users_status_username_idx ON users (status, lower(username)) WHERE deleted = false;
CREATE INDEX users_rbac_roles_idx ON users USING gin (rbac_roles) WHERE deleted = false;
CREATE INDEX users_login_type_username_idx ON users (login_type, lower(username)) WHERE deleted = false;

CREATE TABLE organizations (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  display_name text NOT NULL,
  description text NOT NULL DEFAULT '',
  icon text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  is_default boolean NOT NULL DEFAULT false,
  deleted boolean NOT NULL DEFAULT false,
  default_org_member_roles text[] NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX organizations_name_lower_key ON organizations (lower(name)) WHERE deleted = false;
-- At most one default organization, ever.
CREATE UNIQUE INDEX organizations_single_default_key ON organizations (is_default) WHERE is_default;

CREATE TABLE organization_members (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  roles text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX organization_members_user_id_idx ON organization_members (user_id);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  hashed_secret bytea NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  last_used timestamptz NOT NULL DEFAULT '1970-01-01 00:00:00+00',
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  login_type login_type NOT NULL,
  lifetime_seconds bigint NOT NULL DEFAULT 86400,
  ip_address inet NOT NULL DEFAULT '0.0.0.0',
  scope text NOT NULL DEFAULT 'all',
  token_name text NOT NULL DEFAULT '',
  CONSTRAINT api_keys_scope_check CHECK (scope IN ('all', 'application_connect'))
);
CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);
-- Token names are unique per user (Coder's idx_api_key_name).
CREATE UNIQUE INDEX api_keys_user_token_name_key ON api_keys (user_id, lower(token_name)) WHERE login_type = 'token';

CREATE TABLE custom_roles (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  display_name text NOT NULL DEFAULT '',
  organization_id uuid REFERENCES organizations (id) ON DELETE CASCADE,
  site_permissions jsonb NOT NULL DEFAULT '[]',
  org_permissions jsonb NOT NULL DEFAULT '[]',
  user_permissions jsonb NOT NULL DEFAULT '[]',
  member_permissions jsonb NOT NULL DEFAULT '[]',
  is_system boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX custom_roles_name_org_key
  ON custom_roles (lower(name), COALESCE(organization_id, '00000000-0000-0000-0000-000000000000'::uuid));

CREATE TABLE groups (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  display_name text NOT NULL DEFAULT '',
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  avatar_url text NOT NULL DEFAULT '',
  quota_allowance integer NOT NULL DEFAULT 0,
  source text NOT NULL DEFAULT 'user',
  CONSTRAINT groups_source_check CHECK (source IN ('user', 'oidc'))
);
CREATE UNIQUE INDEX groups_name_org_key ON groups (organization_id, lower(name));

CREATE TABLE group_members (
  group_id uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user_id_idx ON group_members (user_id);

-- Leaving an organization also leaves its groups, whoever deletes the membership.
CREATE FUNCTION delete_group_members_on_org_member_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM group_members gm USING groups g
   WHERE gm.group_id = g.id AND g.organization_id = OLD.organization_id AND gm.user_id = OLD.user_id;
  RETURN OLD;
END $$;
CREATE TRIGGER organization_members_delete_group_members
  AFTER DELETE ON organization_members
  FOR EACH ROW EXECUTE FUNCTION delete_group_members_on_org_member_delete();

-- Links to external identities (OIDC/GitHub), used by IdP sync.
CREATE TABLE user_links (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  login_type login_type NOT NULL,
  linked_id text NOT NULL DEFAULT '',
  claims jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (user_id, login_type)
);

-- Settings editable at run time (IdP sync settings live here, as in Coder's runtime config).
CREATE TABLE runtime_config (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The audit log is tamper-evident: it is made of 16 independent hash chains ("lanes"). Every row
-- stores its lane (chain), its position in that lane (seq, from 1), the hash of the previous row of
-- the lane and the hash of its own content. audit_chain_head holds the last link of each lane. An
-- append locks one free lane's head row until its transaction commits: up to 16 writers append and
-- commit side by side (their WAL flushes can be shared), and no lane ever forks. Lanes have no
-- global order between them; (time, id) orders the log for reading and export.
CREATE TABLE audit_logs (
  chain smallint NOT NULL CHECK (chain BETWEEN 1 AND 16),
  seq bigint NOT NULL,
  id uuid PRIMARY KEY,
  time timestamptz NOT NULL,
  user_id uuid NOT NULL,
  organization_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
  ip inet,
  user_agent text NOT NULL DEFAULT '',
  resource_type text NOT NULL,
  resource_id uuid NOT NULL,
  resource_target text NOT NULL,
  resource_icon text NOT NULL DEFAULT '',
  action text NOT NULL,
  diff jsonb NOT NULL DEFAULT '{}',
  status_code integer NOT NULL,
  additional_fields jsonb NOT NULL DEFAULT '{}',
  request_id uuid NOT NULL,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL,
  UNIQUE (chain, seq)
);
CREATE INDEX audit_logs_time_id_idx ON audit_logs (time DESC, id DESC);
CREATE INDEX audit_logs_action_time_idx ON audit_logs (action, time DESC, id DESC);
CREATE INDEX audit_logs_resource_type_time_idx ON audit_logs (resource_type, time DESC, id DESC);
CREATE INDEX audit_logs_user_id_time_idx ON audit_logs (user_id, time DESC, id DESC);
CREATE INDEX audit_logs_organization_id_time_idx ON audit_logs (organization_id, time DESC, id DESC);
CREATE INDEX audit_logs_resource_id_idx ON audit_logs (resource_id);
CREATE INDEX audit_logs_request_id_idx ON audit_logs (request_id);

CREATE TABLE audit_chain_head (
  id smallint PRIMARY KEY CHECK (id BETWEEN 1 AND 16),
  seq bigint NOT NULL,
  hash bytea NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash)
SELECT lane, 0, '\x0000000000000000000000000000000000000000000000000000000000000000' FROM generate_series(1, 16) lane;

-- The canonical content of one entry: a jsonb array of its lane, its position and every column
-- (unambiguous, and jsonb's text form is deterministic). Times are rendered in UTC so the session
-- time zone cannot change the text. The lane is part of it: an entry moved to another lane no
-- longer matches its hash.
CREATE FUNCTION audit_log_content(
  chain smallint, seq bigint, id uuid, "time" timestamptz, user_id uuid, organization_id uuid, ip inet,
  user_agent text, resource_type text, resource_id uuid, resource_target text, resource_icon text,
  action text, diff jsonb, status_code integer, additional_fields jsonb, request_id uuid
) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT convert_to(jsonb_build_array(
    chain, seq, id, to_char("time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), user_id, organization_id,
    host(ip), user_agent, resource_type, resource_id, resource_target, resource_icon, action, diff,
    status_code, additional_fields, request_id)::text, 'UTF8')
$$;

-- The hash of one entry: SHA-256 over the previous entry's hash (zeros for a lane's first entry)
-- and the entry's canonical content. Appending and verifying share it.
CREATE FUNCTION audit_log_hash(
  prev_hash bytea, chain smallint, seq bigint, id uuid, "time" timestamptz, user_id uuid, organization_id uuid,
  ip inet, user_agent text, resource_type text, resource_id uuid, resource_target text, resource_icon text,
  action text, diff jsonb, status_code integer, additional_fields jsonb, request_id uuid
) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sha256(prev_hash || audit_log_content(chain, seq, id, "time", user_id, organization_id, ip, user_agent,
                                               resource_type, resource_id, resource_target, resource_icon, action,
                                               diff, status_code, additional_fields, request_id))
$$;

-- Appends one entry to a lane and answers the lane. `p_lane` is the lane the calling transaction
-- already holds (its entries stay consecutive in it), or NULL: then any lane no open transaction
-- holds is taken (SKIP LOCKED), and when all are held the append queues behind one chosen at
-- random. The head row stays locked until the caller's transaction ends; a transaction never holds
-- two lanes, so queueing cannot deadlock. At READ COMMITTED every statement here reads the newest
-- committed head: a lock that waited returns the row as the previous holder left it.
-- A function rather than one statement sent by the client: PL/pgSQL keeps the statements' plans for
-- the session, and planning the append afresh cost as much as the rest of it.
CREATE FUNCTION audit_log_append(
  p_lane smallint, p_id uuid, p_time timestamptz, p_user_id uuid, p_organization_id uuid, p_ip inet,
  p_user_agent text, p_resource_type text, p_resource_id uuid, p_resource_target text, p_resource_icon text,
  p_action text, p_diff jsonb, p_status_code integer, p_additional_fields jsonb, p_request_id uuid
) RETURNS smallint LANGUAGE plpgsql AS $$
DECLARE
  head_lane smallint;
  head_seq bigint;
  head_hash bytea;
  new_hash bytea;
  wait_lane smallint;
BEGIN
  IF p_lane IS NOT NULL THEN
    SELECT h.id, h.seq, h.hash INTO head_lane, head_seq, head_hash FROM audit_chain_head h WHERE h.id = p_lane FOR UPDATE;
  ELSE
    SELECT h.id, h.seq, h.hash INTO head_lane, head_seq, head_hash
      FROM audit_chain_head h ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
      wait_lane := 1 + floor(random() * 16)::smallint;
      SELECT h.id, h.seq, h.hash INTO head_lane, head_seq, head_hash FROM audit_chain_head h WHERE h.id = wait_lane FOR UPDATE;
    END IF;
  END IF;
  IF head_lane IS NULL THEN
    RAISE EXCEPTION 'the audit log has lost a chain head row (audit_chain_head)';
  END IF;
  INSERT INTO audit_logs (chain, seq, id, time, user_id, organization_id, ip, user_agent, resource_type, resource_id,
                          resource_target, resource_icon, action, diff, status_code, additional_fields, request_id,
                          prev_hash, hash)
  SELECT e.chain, e.seq, e.id, e.time, e.user_id, e.organization_id, e.ip, e.user_agent, e.resource_type, e.resource_id,
         e.resource_target, e.resource_icon, e.action, e.diff, e.status_code, e.additional_fields, e.request_id,
         head_hash,
         audit_log_hash(head_hash, e.chain, e.seq, e.id, e.time, e.user_id, e.organization_id, e.ip, e.user_agent,
                        e.resource_type, e.resource_id, e.resource_target, e.resource_icon, e.action, e.diff,
                        e.status_code, e.additional_fields, e.request_id)
    FROM (SELECT head_lane AS chain, head_seq + 1 AS seq, p_id AS id, coalesce(p_time, clock_timestamp()) AS time,
                 p_user_id AS user_id, p_organization_id AS organization_id, p_ip AS ip, p_user_agent AS user_agent,
                 p_resource_type AS resource_type, p_resource_id AS resource_id, p_resource_target AS resource_target,
                 p_resource_icon AS resource_icon, p_action AS action, p_diff AS diff, p_status_code AS status_code,
                 p_additional_fields AS additional_fields, p_request_id AS request_id) e
  RETURNING hash INTO new_hash;
  UPDATE audit_chain_head h SET seq = head_seq + 1, hash = new_hash WHERE h.id = head_lane;
  RETURN head_lane;
END $$;

-- Authorization caches in every replica are invalidated through NOTIFY, raised by the database
-- itself so that no writer (API, CLI, SQL console) can forget to. Payload: 'user:<uuid>' or 'all'.
CREATE FUNCTION notify_authz_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('orgd_authz', 'user:' || OLD.user_id::text);
  ELSE
    PERFORM pg_notify('orgd_authz', 'user:' || NEW.user_id::text);
    IF TG_OP = 'UPDATE' AND NEW.user_id <> OLD.user_id THEN
      PERFORM pg_notify('orgd_authz', 'user:' || OLD.user_id::text);
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION notify_authz_users_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('orgd_authz', 'user:' || COALESCE(NEW.id, OLD.id)::text);
  RETURN NULL;
END $$;

CREATE FUNCTION notify_authz_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('orgd_authz', 'all');
  RETURN NULL;
END $$;

CREATE TRIGGER users_notify_authz AFTER UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION notify_authz_users_row();
CREATE TRIGGER organization_members_notify_authz AFTER INSERT OR UPDATE OR DELETE ON organization_members
  FOR EACH ROW EXECUTE FUNCTION notify_authz_user();
CREATE TRIGGER group_members_notify_authz AFTER INSERT OR UPDATE OR DELETE ON group_members
  FOR EACH ROW EXECUTE FUNCTION notify_authz_user();
CREATE TRIGGER api_keys_notify_authz AFTER UPDATE OR DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION notify_authz_user();
CREATE TRIGGER custom_roles_notify_authz AFTER INSERT OR UPDATE OR DELETE ON custom_roles
  FOR EACH STATEMENT EXECUTE FUNCTION notify_authz_all();
CREATE TRIGGER organizations_notify_authz AFTER UPDATE OR DELETE ON organizations
  FOR EACH STATEMENT EXECUTE FUNCTION notify_authz_all();
CREATE TRIGGER groups_notify_authz AFTER DELETE ON groups
  FOR EACH STATEMENT EXECUTE FUNCTION notify_authz_all();

-- The default organization exists from the first start.
-- Its members get workspace rights through the default member role, as in every new organization.
INSERT INTO organizations (id, name, display_name, description, is_default, default_org_member_roles)
VALUES (gen_random_uuid(), 'coder', 'Coder', 'Builtin default organization.', true, '{organization-workspace-access}');
INSERT INTO groups (id, name, display_name, organization_id)
SELECT id, 'Everyone', '', id FROM organizations WHERE is_default;
