"""Cloud-to-cloud backup: plans per source, runs into vault snapshot trees, browse and download.

``models.py`` holds plans, accounts (scopes seen) and snapshot rows mirroring the vault;
``sink.py`` is the framework-free backup sink of the run loop (vault snapshot builder);
``services/`` holds one module per aggregate (plans, runs, browse, download).
"""
