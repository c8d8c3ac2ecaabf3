"""Users: registration (single transaction or saga), deletion, context, activity, legacy import."""
