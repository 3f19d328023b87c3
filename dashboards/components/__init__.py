"""Building blocks shared by the pages: figures, grids, tiles and page frames."""
