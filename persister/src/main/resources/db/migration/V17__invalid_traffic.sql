-- Impressions and clicks from known robots (issue 21, general invalid traffic): counted once, never
-- billed. A column with a constant default is added without rewriting the tables.
ALTER TABLE counter_minute ADD COLUMN invalid bigint NOT NULL DEFAULT 0;
ALTER TABLE counter_hour ADD COLUMN invalid bigint NOT NULL DEFAULT 0;
ALTER TABLE counter_day ADD COLUMN invalid bigint NOT NULL DEFAULT 0;
ALTER TABLE campaign_hour ADD COLUMN invalid bigint NOT NULL DEFAULT 0;
ALTER TABLE campaign_day ADD COLUMN invalid bigint NOT NULL DEFAULT 0;
ALTER TABLE banner_day ADD COLUMN invalid bigint NOT NULL DEFAULT 0;
ALTER TABLE counter_quarantine ADD COLUMN invalid bigint NOT NULL DEFAULT 0;
