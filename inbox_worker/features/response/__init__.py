"""Response-time promises for staff: warnings before a target is missed, and the month report."""
