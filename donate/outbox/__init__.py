"""The transactional outbox: every email is a row written with its cause, sent by a worker."""
