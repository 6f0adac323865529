"""Running: the batch, its executors (local pool or cluster), manifest and review page."""
