"""The path of one mail: sources -> parse -> context -> pure pipeline (decide/) -> render -> one write (runner)."""
