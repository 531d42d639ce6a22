"""The 扬帆之城 (Sailing City) evaluation: a composite index of cities and its audit (JRC/OECD Handbook, COIN).

``method`` holds the method as data, ``composite`` builds the index, ``audit`` checks it (correlations,
effective weights, uncertainty and sensitivity of the ranks).
"""
