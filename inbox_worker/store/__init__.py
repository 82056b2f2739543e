"""The database adapter (SQLAlchemy): models, migrations, the raw store, the reads and the one write.

Also the outbox states and the mailbox lease; nothing here decides anything about a mail.
"""
