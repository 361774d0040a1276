"""The Textual front end: screens and widgets over intake/ and keys/ (no logic of its own)."""
