"""Narrative: the story (fragments, choices, progress), content packs and hints."""
