-- Users: indexes that keep `GET /users` index-backed at a million rows, and the clean-up a soft
-- delete implies.
--
-- Counting matches (`count` of GET /users) is the expensive half of a page. PostgreSQL only runs an
-- index-only scan when every column the query touches can be read from the index, and it does not
-- see that `lower(username)` in an expression index stands for `username`; carrying `username` (and
-- `is_system`, which lists exclude) as INCLUDE columns lets the counts of status, login-type and
-- keyset (`after_id`) queries run from the index alone. Same names, same uniqueness as 0001.
CREATE UNIQUE INDEX users_username_lower_key_v2 ON users (lower(username)) INCLUDE (username, is_system)
  WHERE deleted = false;
DROP INDEX users_username_lower_key;
ALTER INDEX users_username_lower_key_v2 RENAME TO users_username_lower_key;

CREATE INDEX users_status_username_idx_v2 ON users (status, lower(username)) INCLUDE (username, is_system)
  WHERE deleted = false;
DROP INDEX users_status_username_idx;
ALTER INDEX users_status_username_idx_v2 RENAME TO users_status_username_idx;

CREATE INDEX users_login_type_username_idx_v2 ON users (login_type, lower(username)) INCLUDE (username, is_system)
  WHERE deleted = false;
DROP INDEX users_login_type_username_idx;
ALTER INDEX users_login_type_username_idx_v2 RENAME TO users_login_type_username_idx;

-- A soft-deleted user keeps their row (audit entries point at it) but loses every credential and
-- external link, whoever flips the flag (API, CLI, SQL console): their sessions and tokens die with
-- the account, and a later user may take the freed username and e-mail.
CREATE FUNCTION delete_deleted_user_credentials() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.deleted AND NOT OLD.deleted THEN
    DELETE FROM api_keys WHERE user_id = OLD.id;
    DELETE FROM user_links WHERE user_id = OLD.id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER users_delete_deleted_user_credentials
  AFTER UPDATE OF deleted ON users
  FOR EACH ROW EXECUTE FUNCTION delete_deleted_user_credentials();
