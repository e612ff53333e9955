"""Java and JVM rules (JV)."""
