-- Counter rows PostgreSQL refused (issue 17, item 4): a row whose sum would leave bigint, or that
-- breaks a constraint, is set aside here in the same transaction that advances its batch's watermark,
-- so one poison key never stops the write-behind of every other. Revenue is numeric: it may be what
-- did not fit. minute is in epoch minutes, so even a minute no timestamp holds can be kept.
CREATE TABLE counter_quarantine (
    id             bigserial   PRIMARY KEY,
    minute         bigint      NOT NULL,
    campaign_id    bigint      NOT NULL,
    banner_id      bigint      NOT NULL,
    publisher_id   bigint      NOT NULL,
    impressions    bigint      NOT NULL,
    clicks         bigint      NOT NULL,
    conversions    bigint      NOT NULL,
    revenue_micros numeric     NOT NULL,
    suspect_clicks bigint      NOT NULL,
    reason         text        NOT NULL,
    quarantined_at timestamptz NOT NULL DEFAULT now()
);
