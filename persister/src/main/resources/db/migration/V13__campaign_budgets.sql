-- Budgets (issue 21): a campaign's daily cap (per day in its IANA time zone) and/or total cap, in
-- micros of its currency. A budget has no history: reports bill every day under the current one.
-- Billed amounts are never stored; reports and the pacing monitor compute them from the exact
-- counts, the prices (V11) and this row.
CREATE TABLE campaign_budget (
    campaign_id  bigint      PRIMARY KEY REFERENCES campaign (id) ON DELETE CASCADE,
    daily_micros bigint      CHECK (daily_micros BETWEEN 0 AND 1000000000000000000),
    total_micros bigint      CHECK (total_micros BETWEEN 0 AND 1000000000000000000),
    time_zone    text        NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (daily_micros IS NOT NULL OR total_micros IS NOT NULL)
);
