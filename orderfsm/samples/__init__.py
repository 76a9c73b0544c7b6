"""Sample Digital River data shipped with the package: builders and the demo journal."""
