"""The domain operations of evaluation, one module per part (panels and conflicts, ...)."""
