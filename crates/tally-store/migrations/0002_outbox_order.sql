-- The outbox in order: reading the oldest pending changes walks this index instead of
-- sorting every pending change by seq (a push of 100 000 changes sorted them all once
-- per batch).
CREATE INDEX change_log_pending ON change_log (seq) WHERE state = 'pending';
