"""Real services for the end-to-end and browser suites: BIND9, Pebble, sshd, a Celery
worker and headless Chromium, each started on a free loopback port by a pytest fixture."""
