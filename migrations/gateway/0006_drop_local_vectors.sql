-- Vectors live in Vectorize everywhere now (locally in the stand-in's index, tests/standins), so
-- the local exact k-NN table of 0003 is no longer written or read.
DROP INDEX IF EXISTS vectors_by_org_kind;
DROP TABLE IF EXISTS vectors;
