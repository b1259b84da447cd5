"""Names shared by the fixture builder (Django side) and the step generator (coordinator side)."""

SPECIES = ["Vanessa atalanta", "Vanessa cardui", "Agrotis ipsilon", "Noctua pronuba", "Catocala nupta", "Xestia c-nigrum"]
SPECIES_RANKS = ["SPECIES", "SPECIES", "SPECIES", "SPECIES", "GENUS", "SPECIES"]
