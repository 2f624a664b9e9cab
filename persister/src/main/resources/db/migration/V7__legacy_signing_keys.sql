-- Contract v2 (issue 16): a signature now binds the beacon's type (the string signed starts with
-- /i?, /c? or /s?). A key marked legacy also accepts v1 strings (no path), so that ad servers
-- can move key by key: v1 impressions and sales count as before, v1 clicks only as suspect clicks.
-- Every key that exists before this migration was handed to ad servers that sign v1: it becomes
-- legacy, so a catalog created under the old schema keeps working. Keys added later are v2 only.
ALTER TABLE campaign_secret ADD COLUMN legacy boolean NOT NULL DEFAULT false;
-- The version trigger stamps every updated row, so gateways pick the flag up on their next refresh.
UPDATE campaign_secret SET legacy = true;
