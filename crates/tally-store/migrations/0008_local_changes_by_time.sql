-- The entries recorded here on a day (the home and entry screens' list) by the time they
-- were recorded, without reading the changes pulled from the server.
CREATE INDEX IF NOT EXISTS change_log_local_time ON change_log (recorded_at) WHERE origin = 'local';
