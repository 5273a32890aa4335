"""Writes of the contracts app, one module per workflow: ``registration`` (apply, approve,
refuse: Art. 4)."""
