-- Indexes behind the audit search (GET /api/v2/audit) that 0001 does not already provide.
-- 0001 covers the newest-first page (time, id), action, resource_type, user_id and
-- organization_id (each followed by time, id so a filtered page is an ordered index range),
-- resource_id and request_id.

-- `resource_target:` is an exact match; with (time, id) after it a filtered page stops after
-- `limit` rows instead of sorting every entry of a busy target.
CREATE INDEX audit_logs_resource_target_time_idx ON audit_logs (resource_target, time DESC, id DESC);

-- `build_reason:` reads additional_fields; only workspace builds carry one, so the partial index
-- stays empty until such entries exist and a search for a reason never scans the whole log.
CREATE INDEX audit_logs_build_reason_time_idx
  ON audit_logs ((additional_fields ->> 'build_reason'), time DESC, id DESC)
  WHERE additional_fields ? 'build_reason';

-- `username:` and `email:` find the actor's ids first, deleted users included (their entries stay
-- searchable): the unique indexes of 0001 only cover users that are not deleted.
CREATE INDEX users_username_lower_idx ON users (lower(username));
CREATE INDEX users_email_lower_idx ON users (lower(email));
