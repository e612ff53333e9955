"""BN: binaries and archives in the tree that hold x86 machine code (see archport.artifacts)."""
