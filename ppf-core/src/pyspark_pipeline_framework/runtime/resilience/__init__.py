"""What keeps a run's work safe: retries, circuit breakers, dead letters and the run ledger (resume)."""
