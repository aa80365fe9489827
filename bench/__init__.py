"""`make bench`: cold import ratios and AWS calls per request (docs DESIGN.md §8)."""
