"""The product's own vocabulary: typed values, enums, the decision, rules loading; imports nothing above it."""
