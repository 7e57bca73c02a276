-- The ledger's facts: each aggregation reads one of these indexes in group order,
-- without touching the tables or sorting.
CREATE INDEX cleanup_facts ON cleanup (unit, kind, date, tonnes) WHERE deleted = 0;
CREATE INDEX demolition_facts ON demolition (unit, date) WHERE deleted = 0;
CREATE INDEX household_facts ON household (unit, renovation, started_on, completed_on, accepted_on)
    WHERE deleted = 0 AND renovation IN ('started', 'completed', 'accepted');
