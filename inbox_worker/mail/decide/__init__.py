"""The pure decisions of the pipeline: (facts, registry snapshot, rules, now) -> decision."""
