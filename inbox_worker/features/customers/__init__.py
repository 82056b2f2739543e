"""One customer as staff see it: agreement, packages, contacts, devices, open tickets."""
