"""Read-only archive access for AI assistants over the Model Context Protocol (`kustos mcp`)."""
