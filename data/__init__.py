"""The data layer: contract, generator, importer and derived layer of the warehouse."""
