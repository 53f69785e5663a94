"""What CI runs: execute, check and catalogue the notebooks; build the site."""
