"""What the complainant is told (告知书 / 意见书) and their requests for 复查 and 复核 (SPEC §11)."""
