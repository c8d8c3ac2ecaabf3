"""The economy: shop and inventory, achievements, missions, trivia, gifts, ranking."""
