-- Issue 27: which database a journal root belongs to. Not PostgreSQL's system_identifier: every
-- copy of one initdb shares it (a cloned image, a test's template), so two databases could pass for
-- one and a process of the second would delete the first one's journals. This id is made once, with
-- the schema, and travels with the data: a restored backup or a promoted standby is the same
-- database, as it should be.
CREATE TABLE adgrid_database (
    one_row    boolean     PRIMARY KEY DEFAULT true CHECK (one_row),
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO adgrid_database DEFAULT VALUES;
