"""Editor support: the language server, the Pygments lexer."""
