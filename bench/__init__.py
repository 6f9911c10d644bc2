"""``make bench`` / ``python -m bench``: Waypost's throughput, latency, spike, growth and API intake
on PostgreSQL, Redis, real Celery workers and fake providers, side by side with
django-post-office and with the floor. See bench/README.md."""
