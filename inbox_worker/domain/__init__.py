"""The product's own vocabulary: typed values, enums, the decision, the rule-table engine; imports nothing above it."""
