-- Unique reach (issue 21): the users each banner's impressions reached on a UTC day, and each
-- campaign's, as Apache DataSketches HLL sketches (lgK 14, HLL_4, compact). A write takes the union
-- with what a row holds, so a batch written twice changes nothing. sketch is null only for the
-- moment between a writer creating a row and filling it in the same transaction.
CREATE TABLE reach_banner_day (
    day         date   NOT NULL,
    banner_id   bigint NOT NULL,
    campaign_id bigint NOT NULL,
    sketch      bytea,
    PRIMARY KEY (banner_id, day)
);
CREATE TABLE reach_campaign_day (
    day         date   NOT NULL,
    campaign_id bigint NOT NULL,
    sketch      bytea,
    PRIMARY KEY (campaign_id, day)
);
