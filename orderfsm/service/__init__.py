"""Services that drive the engine and the outside world together (submission to DR, ...)."""
