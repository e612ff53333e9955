"""C# and .NET rules (CS)."""
