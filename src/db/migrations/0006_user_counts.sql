-- Counting the matches of `GET /users` is what costs at a million users: a filter matching 800k
-- users counts 800k index entries on every page. For the filters a user list is usually opened
-- with (status, login type, one site role, or none) the count is read from these counters instead,
-- kept true by statement-level triggers, so every writer (API, IdP sync, SQL console) maintains them.
-- role '' counts every listed user; a row per site role counts its holders.
CREATE TABLE user_counts (
  role text NOT NULL,
  status user_status NOT NULL,
  login_type login_type NOT NULL,
  n bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (role, status, login_type)
);

-- Each trigger adds the contribution of the rows a statement changed (only those a list shows:
-- not deleted, not system), one row per site role plus role ''. Counter rows are written in key
-- order so concurrent writers lock them in the same order and cannot deadlock.
CREATE FUNCTION user_counts_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO user_counts AS c (role, status, login_type, n)
  SELECT r.role, u.status, u.login_type, count(*)
    FROM inserted u CROSS JOIN LATERAL (SELECT DISTINCT role FROM unnest(array_prepend('', u.rbac_roles)) role) r
   WHERE NOT u.deleted AND NOT u.is_system
   GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (role, status, login_type) DO UPDATE SET n = c.n + EXCLUDED.n;
  RETURN NULL;
END $$;

CREATE FUNCTION user_counts_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO user_counts AS c (role, status, login_type, n)
  SELECT role, status, login_type, sum(d)
    FROM (SELECT r.role, u.status, u.login_type, 1 AS d
            FROM new_rows u CROSS JOIN LATERAL (SELECT DISTINCT role FROM unnest(array_prepend('', u.rbac_roles)) role) r
           WHERE NOT u.deleted AND NOT u.is_system
          UNION ALL
          SELECT r.role, u.status, u.login_type, -1
            FROM old_rows u CROSS JOIN LATERAL (SELECT DISTINCT role FROM unnest(array_prepend('', u.rbac_roles)) role) r
           WHERE NOT u.deleted AND NOT u.is_system) t
   GROUP BY 1, 2, 3 HAVING sum(d) <> 0 ORDER BY 1, 2, 3
  ON CONFLICT (role, status, login_type) DO UPDATE SET n = c.n + EXCLUDED.n;
  RETURN NULL;
END $$;

CREATE FUNCTION user_counts_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE user_counts c SET n = c.n - d.n
    FROM (SELECT r.role, u.status, u.login_type, count(*) AS n
            FROM removed u CROSS JOIN LATERAL (SELECT DISTINCT role FROM unnest(array_prepend('', u.rbac_roles)) role) r
           WHERE NOT u.deleted AND NOT u.is_system
           GROUP BY 1, 2, 3) d
   WHERE c.role = d.role AND c.status = d.status AND c.login_type = d.login_type;
  RETURN NULL;
END $$;

CREATE TRIGGER users_counts_insert AFTER INSERT ON users
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION user_counts_on_insert();
CREATE TRIGGER users_counts_update AFTER UPDATE ON users
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION user_counts_on_update();
CREATE TRIGGER users_counts_delete AFTER DELETE ON users
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION user_counts_on_delete();

INSERT INTO user_counts (role, status, login_type, n)
SELECT r.role, u.status, u.login_type, count(*)
  FROM users u CROSS JOIN LATERAL (SELECT DISTINCT role FROM unnest(array_prepend('', u.rbac_roles)) role) r
 WHERE NOT u.deleted AND NOT u.is_system
 GROUP BY 1, 2, 3;
