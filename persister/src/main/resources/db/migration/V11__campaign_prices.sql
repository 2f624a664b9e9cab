-- Prices and spend (issue 21): a campaign's pricing model and price over time. A price is in force
-- from its UTC midnight until the campaign's next one; before a campaign's first price it has none
-- (spend 0). Prices start at UTC midnights so that every counter row (a minute, an hour or a UTC
-- day, see V8) lies in one price period: reports price the rolled-up rows exactly. Spend is never
-- stored: reports compute it from the exact counts and this table.
CREATE TABLE campaign_price (
    campaign_id    bigint      NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
    effective_from timestamptz NOT NULL CHECK (extract(epoch FROM effective_from) % 86400 = 0),
    model          text        NOT NULL CHECK (model IN ('CPM', 'CPC', 'CPA')),
    -- micros of the campaign's currency; a CPM price is whole thousands of micros, so that one
    -- impression costs whole micros and spend needs no rounding
    price_micros   bigint      NOT NULL CHECK (price_micros BETWEEN 0 AND 1000000000000000
                                               AND (model <> 'CPM' OR price_micros % 1000 = 0)),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, effective_from)
);
