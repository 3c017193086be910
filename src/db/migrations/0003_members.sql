-- Organizations and members: the member count behind `paginated-members`, and the rule that an
-- organization still holding members or groups cannot be deleted.

-- The total of `GET /organizations/{org}/paginated-members` (unfiltered) is read from here instead
-- of counting 100k joined rows per page. It counts memberships whose user is neither deleted nor a
-- system user, exactly the rows the unfiltered list returns. Maintained by the triggers below, so
-- every writer (API, IdP sync, SQL console) keeps it true.
CREATE TABLE organization_member_counts (
  organization_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  members bigint NOT NULL DEFAULT 0 CHECK (members >= 0)
);

-- Membership changes, per statement (a bulk insert touches each org's counter once). The users of
-- the changed rows are locked FOR SHARE: a concurrent soft delete of the same user waits for us (or
-- we for it), so the user's "counted" state read here is the one that commits.
CREATE FUNCTION organization_member_counts_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM users u WHERE u.id IN (SELECT user_id FROM inserted) ORDER BY u.id FOR SHARE;
  INSERT INTO organization_member_counts AS c (organization_id, members)
  SELECT i.organization_id, count(*)
    FROM inserted i JOIN users u ON u.id = i.user_id AND NOT u.deleted AND NOT u.is_system
   GROUP BY i.organization_id
  ON CONFLICT (organization_id) DO UPDATE SET members = c.members + EXCLUDED.members;
  RETURN NULL;
END $$;

CREATE FUNCTION organization_member_counts_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A user deleted outright (cascade) is already invisible here and was uncounted before.
  PERFORM 1 FROM users u WHERE u.id IN (SELECT user_id FROM deleted) ORDER BY u.id FOR SHARE;
  UPDATE organization_member_counts c SET members = c.members - d.n
    FROM (SELECT dd.organization_id, count(*) AS n
            FROM deleted dd JOIN users u ON u.id = dd.user_id AND NOT u.deleted AND NOT u.is_system
           GROUP BY dd.organization_id) d
   WHERE c.organization_id = d.organization_id;
  RETURN NULL;
END $$;

CREATE TRIGGER organization_members_count_insert AFTER INSERT ON organization_members
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION organization_member_counts_on_insert();
CREATE TRIGGER organization_members_count_delete AFTER DELETE ON organization_members
  REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION organization_member_counts_on_delete();

-- Memberships never change keys (orgd only updates roles); refuse it so the counter cannot drift.
CREATE FUNCTION organization_members_keys_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'organization_members keys cannot change' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER organization_members_keys_immutable BEFORE UPDATE OF organization_id, user_id ON organization_members
  FOR EACH ROW WHEN (NEW.organization_id <> OLD.organization_id OR NEW.user_id <> OLD.user_id)
  EXECUTE FUNCTION organization_members_keys_immutable();

-- A user leaving or entering the counted set (soft delete, system flag) moves every org they are in.
CREATE FUNCTION organization_member_counts_on_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta integer;
BEGIN
  IF TG_OP = 'DELETE' THEN
    delta := CASE WHEN NOT OLD.deleted AND NOT OLD.is_system THEN -1 ELSE 0 END;
  ELSE
    delta := (CASE WHEN NOT NEW.deleted AND NOT NEW.is_system THEN 1 ELSE 0 END)
           - (CASE WHEN NOT OLD.deleted AND NOT OLD.is_system THEN 1 ELSE 0 END);
  END IF;
  IF delta <> 0 THEN
    UPDATE organization_member_counts c SET members = c.members + delta
      FROM organization_members om
     WHERE om.user_id = OLD.id AND c.organization_id = om.organization_id;
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER users_member_counts_update AFTER UPDATE OF deleted, is_system ON users
  FOR EACH ROW WHEN (OLD.deleted IS DISTINCT FROM NEW.deleted OR OLD.is_system IS DISTINCT FROM NEW.is_system)
  EXECUTE FUNCTION organization_member_counts_on_user_change();
-- BEFORE: the memberships are still there to be found; their cascaded deletion then finds no user.
CREATE TRIGGER users_member_counts_delete BEFORE DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION organization_member_counts_on_user_change();

INSERT INTO organization_member_counts (organization_id, members)
SELECT o.id, count(u.id)
  FROM organizations o
  LEFT JOIN organization_members om ON om.organization_id = o.id
  LEFT JOIN users u ON u.id = om.user_id AND NOT u.deleted AND NOT u.is_system
 GROUP BY o.id;

-- Coder's protect_deleting_organizations: an organization is soft-deleted only once every group but
-- "Everyone" and every member but one (you cannot remove yourself) is gone.
CREATE FUNCTION protect_deleting_organizations() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  group_count integer;
  member_count integer;
BEGIN
  SELECT count(*) INTO group_count FROM groups WHERE organization_id = OLD.id;
  SELECT count(*) INTO member_count
    FROM organization_members om JOIN users u ON u.id = om.user_id AND NOT u.deleted
   WHERE om.organization_id = OLD.id;
  IF group_count > 1 THEN
    RAISE EXCEPTION 'cannot delete organization: organization has % groups that must be deleted first', group_count - 1
      USING ERRCODE = 'restrict_violation';
  END IF;
  IF member_count > 1 THEN
    RAISE EXCEPTION 'cannot delete organization: organization has % members that must be deleted first', member_count - 1
      USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER protect_deleting_organizations BEFORE UPDATE ON organizations
  FOR EACH ROW WHEN (NEW.deleted AND NOT OLD.deleted)
  EXECUTE FUNCTION protect_deleting_organizations();

-- Organization lists in creation order (the default org first).
CREATE INDEX organizations_created_at_idx ON organizations (created_at, id) WHERE NOT deleted;
