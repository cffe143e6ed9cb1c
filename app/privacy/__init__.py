"""The rights of the people the data is about (GDPR): the family's data download (art. 15) and
erasure on request (art. 17). Each reaches into every module's records, so it sits above them."""
