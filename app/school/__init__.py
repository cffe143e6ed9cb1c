"""The school: locations, years, groups, persons, guardianship, and the CSV import."""
