"""The pure core: records, money, periods and pricing. No I/O, no imports from the outer stages."""
