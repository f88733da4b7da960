"""Domain operations on tenders, one module per concern."""
