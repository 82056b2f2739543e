"""Staff actions on tickets: edit, merge, reply, time and coverage, phone tickets, the ticket page's view."""
