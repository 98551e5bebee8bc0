"""Periodic work (huey periodic tasks). Each one only enqueues jobs through services."""
