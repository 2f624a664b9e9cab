-- Sender keys (issue 23): a whole POST /events request signed once (X-AdGrid-Signature) instead of
-- every line. A sender key is not a campaign's key: it names the campaigns whose banners its requests
-- may carry (sender_key_campaign), and a line of any other campaign is refused.
--
-- Gateways read the whole table at every catalog refresh (JdbcCatalogSource: sender keys are few), so
-- these rows need no catalog version: a gateway that starts from its catalog file learns them all at
-- its first refresh. After a rotation previous_secret still signs until previous_until (the overlap);
-- a disabled key (disabled_at set) signs nothing. Like campaign_secret, no reporting role reads them.
CREATE TABLE sender_key (
    kid             text        PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9._:-]{1,32}$'),
    secret          text        NOT NULL CHECK (secret <> ''),
    previous_secret text,
    previous_until  timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    rotated_at      timestamptz,
    disabled_at     timestamptz,
    CHECK ((previous_secret IS NULL) = (previous_until IS NULL))
);

-- No foreign key to campaign: a TRUNCATE of campaign (tests, a reseed) must not need this table named
-- with it. A campaign deleted leaves every list it was on by the trigger below instead; the admin API
-- checks that a listed campaign exists (locking it FOR KEY SHARE until the list commits).
CREATE TABLE sender_key_campaign (
    kid         text   NOT NULL REFERENCES sender_key (kid) ON DELETE CASCADE,
    campaign_id bigint NOT NULL,
    PRIMARY KEY (kid, campaign_id)
);

CREATE FUNCTION sender_key_campaign_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sender_key_campaign WHERE campaign_id = OLD.id;
    RETURN OLD;
END
$$;

CREATE TRIGGER sender_key_campaign_deleted AFTER DELETE ON campaign
    FOR EACH ROW EXECUTE FUNCTION sender_key_campaign_deleted();
