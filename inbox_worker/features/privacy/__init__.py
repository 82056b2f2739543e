"""GDPR (issue 16): export what is held about a person or customer, erase a person, apply retention."""
