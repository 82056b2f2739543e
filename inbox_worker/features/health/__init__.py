"""The worker's own health: conditions from a snapshot, the alert state machine, /healthz checks and staff alerts."""
