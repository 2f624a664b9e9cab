-- Write-behind batches that hold back the open minute (issue 5, P5: a counter row written once its
-- minute has closed, not once a second). A batch may now take only the minutes before a cut, so the
-- watermark says, besides the last batch written, which minutes the partial batches since the last
-- full one covered (cut_minute, in epoch minutes; the largest bigint for a full batch) and the last
-- batch that took everything (full_seq). Rows written before were all full batches.
ALTER TABLE flush_watermark
    ADD COLUMN cut_minute bigint NOT NULL DEFAULT 9223372036854775807,
    ADD COLUMN full_seq   bigint;
UPDATE flush_watermark SET full_seq = last_seq;
ALTER TABLE flush_watermark ALTER COLUMN full_seq SET NOT NULL;
ALTER TABLE flush_watermark ALTER COLUMN cut_minute DROP DEFAULT;
