"""The authentic sources, as local copies: work declarations, Dimona, Limosa, national register,
enterprise register. Importers feed them; the simulation generator fills them with test data."""
