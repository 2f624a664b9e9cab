-- Issues 17.1 and 27. A gracefully stopped member keeps its journal for the identities it holds
-- (a re-sent beacon or order after a restart is a duplicate): the row says it stopped, whether
-- PostgreSQL held every count then, and until when anything in it is needed. A row whose counts
-- are all in PostgreSQL and whose time has passed holds nothing anyone waits for.
ALTER TABLE journal_directory
    ADD COLUMN stopped_at         timestamptz,
    ADD COLUMN counts_in_postgres boolean     NOT NULL DEFAULT false,
    ADD COLUMN needed_until       timestamptz;

-- Journals an operator gave up (./adgrid journal give-up): who decided what, and what it held.
CREATE TABLE journal_given_up (
    id            uuid        NOT NULL,
    grid_life     uuid        NOT NULL,
    host          text        NOT NULL,
    path          text        NOT NULL,
    registered_at timestamptz NOT NULL,
    given_up_at   timestamptz NOT NULL DEFAULT now(),
    given_up_by   text        NOT NULL,
    what_was_lost text        NOT NULL
);
