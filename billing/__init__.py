"""Billing (SPEC §8): rates, invoices, credit notes, ERP webhooks out and in, exports."""
