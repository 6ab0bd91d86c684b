-- row_id_order: the sort key of a row id <file>:<row> (a macro: one value in, one key out), so that
-- a.csv:9 comes before a.csv:10: the struct (file, row, id), compared field by field.
-- Inputs: none; any model or query that orders or splits row ids calls it (order by row_id_order(entry_id);
-- row_id_order(x).file and .row are the id's parts). A value that is no row id (D01,
-- unidentified:…) has file '' and row null, so it sorts before the ids, by its text.
create or replace macro row_id_order(id) as struct_pack(
    file := regexp_extract(id::VARCHAR, '^(.*):([0-9]+)$', 1),
    row := try_cast(regexp_extract(id::VARCHAR, ':([0-9]+)$', 1) as HUGEINT),
    id := id::VARCHAR
);
