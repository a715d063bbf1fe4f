-- Following up the effect of actions: when an action was closed, and the last day of each
-- outcome's period (filled in by the store, which knows the calendar), so that "done
-- actions whose indicator shows no later outcome" is one query.

ALTER TABLE deviation_actions ADD COLUMN closed_on TEXT;
ALTER TABLE outcomes ADD COLUMN last_day TEXT;
CREATE INDEX outcomes_indicator_last_day ON outcomes(indicator_id, last_day);
CREATE INDEX deviation_actions_state_due ON deviation_actions(state, due);
CREATE INDEX deviations_area ON deviations(area);
