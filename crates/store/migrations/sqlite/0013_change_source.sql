-- Where each change came from (issue 17): 'form', 'file' (an import; source_detail names
-- the file), 'kolada', 'upgrade', 'cli', 'demo' or 'bench' (uppsikt_store::ChangeSource).
-- Rows written before this migration have none and read as "okänd källa". Adding a
-- column is no UPDATE, so the append-only triggers let it through.
ALTER TABLE change_log ADD COLUMN source TEXT;
ALTER TABLE change_log ADD COLUMN source_detail TEXT;
