"""Work declarations, the workplaces presences are registered for."""
