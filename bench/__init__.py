"""make bench: how fast Waltham Aid is at network scale. Prints ratios; it is not a test."""
