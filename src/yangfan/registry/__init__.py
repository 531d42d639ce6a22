"""Registries (名录): the organisations, carriers, standards, products, networks, cases, cities and policies the
plan counts; their intake, de-duplication and the counts that feed the catalog."""

#: The source kinds of registry counts: real records, and counts with demo records among them (演示数据).
SOURCE_KIND, DEMO_SOURCE_KIND = "registry", "demo-registry"
