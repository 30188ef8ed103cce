"""`levcheck mutate`: the mutation score of the battery (generate, battery, triage, report)."""
