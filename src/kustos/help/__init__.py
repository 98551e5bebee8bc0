"""The built-in knowledge base: task-oriented articles in English and German (Markdown files in
``articles/``), a registry that loads them, a ranked term search and a safe Markdown renderer.

Framework-free: nothing here imports Django; views, API and tests call ``registry``.
"""
