"""Shared building blocks every feature uses: database base, column types, periods, money, text."""
