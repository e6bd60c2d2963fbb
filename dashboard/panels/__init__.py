"""Sections of a page kept in their own module so the page stays short (a page imports and calls
them; they are not pages themselves)."""
