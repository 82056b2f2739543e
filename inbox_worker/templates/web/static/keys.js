// Keyboard shortcuts for the queue and the ticket page; everything works without this script.
