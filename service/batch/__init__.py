"""`precis batch`: the archive pre-summariser, in this process (local) or on Ray workers (on_ray)."""
