-- Member journals (issue 4, fault 4: every process killed at once). Each AdGrid process that holds
-- grid data journals what it applied in its own directory; PostgreSQL, which outlives the grid,
-- keeps the list, so that after the whole grid died its next life knows whose journals it must
-- replay before the gateways count again.
CREATE TABLE journal_directory (
    id            uuid        PRIMARY KEY,
    grid_life     uuid        NOT NULL,
    host          text        NOT NULL,
    path          text        NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now()
);

-- Journal slices (one grid entry's part of one gateway batch, per journal file) whose counts a
-- recovery added to counter_minute: owner and backup journaled the same slice, it is added once.
-- Kept 7 days (a journal directory of a dead grid is recovered when its process comes back).
CREATE TABLE journal_recovered_slice (
    route_key     bigint      NOT NULL,
    batch_gateway bigint      NOT NULL,
    batch_seq     bigint      NOT NULL,
    keep_minute   bigint      NOT NULL,
    recovered_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (route_key, batch_gateway, batch_seq, keep_minute)
);
