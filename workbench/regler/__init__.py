"""Rules: one owner per concept (periods, niveau, goal status, optaelling, overlap, kvalitet, suppression, access, ...). Pure Polars; imports only workbench.data."""
