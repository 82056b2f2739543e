"""What staff and customers use beyond the mail path, one folder per feature (each may use store and outbound)."""
