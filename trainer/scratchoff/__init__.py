"""Scratch-off forecasts: feed adapters and loading, exact analytics, features, forecast
models, the prediction row and their evaluation."""
