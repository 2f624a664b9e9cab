-- Grid lives as PostgreSQL knows them (fault runner seed 3, issue 18): a member cut off from the
-- grid keeps its life and the counts it owns; the other side names a new life and replays the old
-- life's journals. Naming a life ends every other one here, before any replay, and a write-behind
-- transaction of an ended life is refused (it reads its row FOR SHARE, so it either commits before
-- the ending, and the replay sees its watermarks, or sees the end and writes nothing).
CREATE TABLE grid_life (
    id        uuid        PRIMARY KEY,
    joined_at timestamptz NOT NULL DEFAULT now(),
    ended_at  timestamptz,
    ended_by  uuid
);
