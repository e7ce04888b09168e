"""The crowd wing (P.808-style): a study's public link, self-enrolled participants, their environment checks,
completion codes and the coordinator's code list."""
