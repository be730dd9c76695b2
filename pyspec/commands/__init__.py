"""One module per subcommand of the ``pyspec`` CLI."""
