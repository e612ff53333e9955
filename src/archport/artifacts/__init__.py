"""Binaries and archives in the tree: what machine their code is for, looked up in headers
(binaries.py), inside archives without extracting them (archives.py), with the AArch64
counterpart found by name (platforms.py); scanner.py runs the artifact rules (BN) on them."""
