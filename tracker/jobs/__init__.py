"""The scheduled and queued work: overdue flags, snapshots, digests, notices, e-mail."""
