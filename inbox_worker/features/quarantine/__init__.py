"""The quarantine desk: list, show and process again the mail that could not be processed."""
