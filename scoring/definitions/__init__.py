"""One module per published score, each a frozen `ScoreDefinition` with its citation."""
