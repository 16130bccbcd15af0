"""Inventory use cases: devices, kits and their parts, repairs, return to service, shelf
audits, sightings, labels and a device's history."""
