"""Resolution with resolvelib: requirements, candidates, the provider and its finder."""
