"""Adopting a realm: a spec of what a live realm (`export`) or a realm-export file (`convert`)
holds beyond what Keycloak creates by itself. Both read Keycloak's export representation and
share one path to the spec: upgrade (old shapes to today's), convert (representation to spec
items, what kcconf cannot express reported), trim (left out what equals a new realm), render.
"""
