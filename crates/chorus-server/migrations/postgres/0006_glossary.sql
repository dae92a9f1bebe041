-- The studio's glossary for localized lines: one row, its terms as JSON
-- (chorus_core::localize::Glossary), replaced whole on every save.
CREATE TABLE glossary (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    terms TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT
);
