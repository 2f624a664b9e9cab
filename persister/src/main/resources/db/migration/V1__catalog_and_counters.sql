-- The catalog: what may be counted, and the secrets beacons are signed with.
CREATE TABLE campaign (
    id          bigint      PRIMARY KEY CHECK (id > 0),
    name        text        NOT NULL,
    currency    char(3)     NOT NULL DEFAULT 'USD',
    secret      text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE banner (
    id          bigint      PRIMARY KEY CHECK (id > 0),
    campaign_id bigint      NOT NULL REFERENCES campaign (id),
    landing_url text        NOT NULL CHECK (landing_url ~ '^https?://'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX banner_campaign ON banner (campaign_id);

CREATE TABLE publisher (
    id          bigint      PRIMARY KEY CHECK (id > 0),
    name        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Counters per UTC minute, banner and publisher, written behind from the grid and only ever
-- added to. Revenue in micros (10^-6 of the campaign currency). One partition per UTC day.
CREATE TABLE counter_minute (
    minute         timestamptz NOT NULL,
    campaign_id    bigint      NOT NULL,
    banner_id      bigint      NOT NULL,
    publisher_id   bigint      NOT NULL,
    impressions    bigint      NOT NULL DEFAULT 0,
    clicks         bigint      NOT NULL DEFAULT 0,
    conversions    bigint      NOT NULL DEFAULT 0,
    revenue_micros bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, banner_id, publisher_id)
) PARTITION BY RANGE (minute);
CREATE INDEX counter_minute_campaign ON counter_minute (campaign_id, minute);
CREATE INDEX counter_minute_banner ON counter_minute (banner_id, minute);
CREATE INDEX counter_minute_publisher ON counter_minute (publisher_id, minute);

-- Write-behind idempotence: grid entry life (epoch) -> last sealed batch written. A batch with
-- seq <= last_seq is already in counter_minute and is skipped when written again.
CREATE TABLE flush_watermark (
    epoch      uuid        PRIMARY KEY,
    last_seq   bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Creates the day partitions of counter_minute for [first_day, first_day + days). Safe to call
-- from many processes at once: the advisory lock serialises them and existing days are skipped.
CREATE FUNCTION ensure_counter_partitions(first_day date, days int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    d date;
    part text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('adgrid.counter_minute.partitions'));
    FOR i IN 0 .. days - 1 LOOP
        d := first_day + i;
        part := 'counter_minute_' || to_char(d, 'YYYYMMDD');
        IF to_regclass(part) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF counter_minute FOR VALUES FROM (%L) TO (%L)',
                           part, (d::timestamp AT TIME ZONE 'UTC'), ((d + 1)::timestamp AT TIME ZONE 'UTC'));
        END IF;
    END LOOP;
END
$$;
