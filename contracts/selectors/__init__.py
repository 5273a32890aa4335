"""Reads of the contracts app, one module per topic: ``registration`` (applications and the
reviewers' checks, Art. 4), ``rentals`` (usage contract, rentals, units, deletion records,
return checklist), ``billing`` (charges and payments, Art. 5), ``records`` (video data records
and the deletion log, Art. 10), ``transfers`` (Art. 17)."""
