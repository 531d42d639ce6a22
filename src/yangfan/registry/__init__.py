"""Registries (名录): the organisations, carriers, standards, products, networks, cases, cities and policies the
plan counts; their intake, de-duplication and the counts that feed the catalog."""
