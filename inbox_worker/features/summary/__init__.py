"""The weekly summary to each customer's contact person: the facts, the pure summary, its mail, sending once."""
