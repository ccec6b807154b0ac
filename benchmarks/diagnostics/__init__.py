"""Tools that explain a figure (where the time goes, job by job); they produce no figure with a target."""
