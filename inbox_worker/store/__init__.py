"""Persistence: models, migrations, and the repository that is the only user of a database session."""
