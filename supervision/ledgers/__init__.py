"""Ledgers (台账): .xlsx export of the list pages and import of legacy ledgers."""
