"""Running in production: health checks, error pages, request logs, client addresses."""
