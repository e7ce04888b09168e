"""Who takes part in a study: members added by name, e-mail or CSV, invitation links, and who has done what."""
