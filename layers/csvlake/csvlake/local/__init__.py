"""Run csvlake without AWS: a directory store, a local S3 endpoint with notifications, a CLI."""
