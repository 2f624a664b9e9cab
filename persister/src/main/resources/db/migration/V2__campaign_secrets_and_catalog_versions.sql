-- Secret rotation and incremental catalog refresh (issue 3).
--
-- Versions: every insert or update of a catalog row stamps it with the next value of catalog_version,
-- and every delete leaves a row in catalog_deletion with its own version. A reader keeps the highest
-- version it has applied and loads only "version > last seen". Writers take a transaction-scoped
-- advisory lock before drawing a version, so catalog writes commit in version order: a reader that
-- sees version v also sees every smaller one (no change is skipped because it committed late).
-- Catalog writes are rare (admin), so serialising them costs nothing that matters.
CREATE SEQUENCE catalog_version;

CREATE FUNCTION catalog_next_version() RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('adgrid.catalog_version'));
    RETURN nextval('catalog_version');
END
$$;

CREATE FUNCTION catalog_stamp_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := catalog_next_version();
    RETURN NEW;
END
$$;

-- Signing secrets by key id (kid). kid '0' is the key a campaign was created with, used by beacons
-- that carry no kid. A retired secret (retired_at <= now) signs nothing any more; a future retired_at
-- schedules the end of a rotation's overlap.
CREATE TABLE campaign_secret (
    campaign_id bigint      NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
    kid         text        NOT NULL CHECK (kid ~ '^[A-Za-z0-9._:-]{1,32}$'),
    secret      text        NOT NULL CHECK (secret <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    retired_at  timestamptz,
    version     bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, kid)
);

-- The single source of truth for secrets is campaign_secret: move each campaign's secret there as kid '0'.
INSERT INTO campaign_secret (campaign_id, kid, secret, created_at, version)
SELECT id, '0', secret, created_at, catalog_next_version() FROM campaign ORDER BY id;
ALTER TABLE campaign DROP COLUMN secret;

ALTER TABLE campaign ADD COLUMN version bigint;
UPDATE campaign SET version = catalog_next_version();
ALTER TABLE campaign ALTER COLUMN version SET NOT NULL, ALTER COLUMN version SET DEFAULT 0;

ALTER TABLE banner ADD COLUMN version bigint;
UPDATE banner SET version = catalog_next_version();
ALTER TABLE banner ALTER COLUMN version SET NOT NULL, ALTER COLUMN version SET DEFAULT 0;

ALTER TABLE publisher ADD COLUMN version bigint;
UPDATE publisher SET version = catalog_next_version();
ALTER TABLE publisher ALTER COLUMN version SET NOT NULL, ALTER COLUMN version SET DEFAULT 0;

CREATE INDEX campaign_version ON campaign (version);
CREATE INDEX banner_version ON banner (version);
CREATE INDEX publisher_version ON publisher (version);
CREATE INDEX campaign_secret_version ON campaign_secret (version);

CREATE TRIGGER campaign_version BEFORE INSERT OR UPDATE ON campaign
    FOR EACH ROW EXECUTE FUNCTION catalog_stamp_version();
CREATE TRIGGER banner_version BEFORE INSERT OR UPDATE ON banner
    FOR EACH ROW EXECUTE FUNCTION catalog_stamp_version();
CREATE TRIGGER publisher_version BEFORE INSERT OR UPDATE ON publisher
    FOR EACH ROW EXECUTE FUNCTION catalog_stamp_version();
CREATE TRIGGER campaign_secret_version BEFORE INSERT OR UPDATE ON campaign_secret
    FOR EACH ROW EXECUTE FUNCTION catalog_stamp_version();

-- Deletions, so an incremental reader forgets what is gone. kind is the table name; id the row's id
-- (campaign_id for campaign_secret, with its kid).
CREATE TABLE catalog_deletion (
    version    bigint      PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN ('campaign', 'banner', 'publisher', 'campaign_secret')),
    id         bigint      NOT NULL,
    kid        text,
    deleted_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION catalog_record_deletion() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'campaign_secret' THEN
        INSERT INTO catalog_deletion (version, kind, id, kid) VALUES (catalog_next_version(), TG_TABLE_NAME, OLD.campaign_id, OLD.kid);
    ELSE
        INSERT INTO catalog_deletion (version, kind, id) VALUES (catalog_next_version(), TG_TABLE_NAME, OLD.id);
    END IF;
    RETURN OLD;
END
$$;

CREATE TRIGGER campaign_deleted AFTER DELETE ON campaign
    FOR EACH ROW EXECUTE FUNCTION catalog_record_deletion();
CREATE TRIGGER banner_deleted AFTER DELETE ON banner
    FOR EACH ROW EXECUTE FUNCTION catalog_record_deletion();
CREATE TRIGGER publisher_deleted AFTER DELETE ON publisher
    FOR EACH ROW EXECUTE FUNCTION catalog_record_deletion();
CREATE TRIGGER campaign_secret_deleted AFTER DELETE ON campaign_secret
    FOR EACH ROW EXECUTE FUNCTION catalog_record_deletion();
