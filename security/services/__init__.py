"""Writes of the security app: the account workflows that send notices, so they sit above
the notices app. ``invitations`` (Art. 6(1)), ``credentials`` (stolen credentials and their
incidents, Art. 6(3)), ``alerts`` (security e-mails, Art. 6(3))."""
