"""`archport verify`: turn the scanner's suspicions into evidence with the real AArch64
toolchain: a compile check against the cross compiler (compared with x86-64) and a differential
run of a program built for both targets, the AArch64 one under qemu-user."""
