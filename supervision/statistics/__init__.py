"""Statistics and department assessment (统计分析与考核, SPEC §8)."""
