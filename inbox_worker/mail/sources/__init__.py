"""Where mail comes from: local files and Maildir folders, and the IMAP mailbox."""
