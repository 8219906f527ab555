# Packaging is configured in packaging/; see packaging/README.md.
