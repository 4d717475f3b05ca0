-- Playbook knowledge base (filled in by the retrieval work).
select 1;
