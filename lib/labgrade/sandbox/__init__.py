"""Running student code isolated: bubblewrap, cgroups, the judge kernel extension and its worker, limits."""
