"""GDPR in the database: find what is held about a person, and the writes that erase it or let it expire.

`person` finds who is asked about (contact, aliases, or an unknown sender's address), `holdings` everything
held about them, `catalog` the scrub of every text and JSON column of every table, `erase` and `expire` the
writes, `files` the attachment files no row refers to any more, `records` the erasure records.
"""
