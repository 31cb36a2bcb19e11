"""Developer tools apart from the product: benchmark framework and cases, the demo generator."""
