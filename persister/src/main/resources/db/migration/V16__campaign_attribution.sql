-- A campaign's own click attribution (issue 21): the landing-URL parameter its click ids go in and
-- how long after a click a sale posted by its id counts. NULL is the deployment's setting
-- (ADGRID_ATTRIBUTION_CLICKPARAM, ADGRID_ATTRIBUTION_WINDOW), so every campaign keeps today's behaviour
-- and no row changes here: gateways holding the catalog need no reload.
--
-- Both are columns of campaign, so the version trigger (V2) stamps a change and gateways pick it up at
-- their next incremental refresh, like a key. The checks are the API's rules: a name any web stack reads
-- back as written, needing no escaping in a URL; whole seconds from 1 minute to 366 days, the
-- deployment setting's bounds. Nothing stores clicks (a click id carries its click), so no retention
-- has to cover the window.
ALTER TABLE campaign
    ADD COLUMN click_param text CHECK (click_param ~ '^[A-Za-z0-9_]{1,32}$'),
    ADD COLUMN attribution_window_seconds bigint CHECK (attribution_window_seconds BETWEEN 60 AND 366 * 86400);
