"""Device compliance: inventories from MDM exports and osquery, read into one model.

`model` holds the common record (`DeviceRecord`, its `Fact`s and their names);
`inventory.read_inventory` reads any supported file into records; `sources/` holds one
reader per tool.
"""
