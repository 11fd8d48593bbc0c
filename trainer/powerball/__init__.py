"""The Powerball number game: draws, features, models, prize arithmetic and the honest evaluation
against uniform randomness."""
