"""The default rules and templates shipped in the package, copied out for staff to edit (`inbox-worker rules copy`)."""
