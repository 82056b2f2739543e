"""`inbox-worker doctor`: check config, database, rules, templates, IMAP, SMTP, storage and clock, one line each."""
