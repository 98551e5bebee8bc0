"""Query language: lexer, parser, AST."""
