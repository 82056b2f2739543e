"""The invoice basis: rounding of billable time, package lines, the quarterly export."""
