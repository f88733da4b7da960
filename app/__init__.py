"""caretender: the platform (settings, accounts, audit log, pages, command line)."""
