"""Statistics and department assessment (统计分析与考核, docs/domain.md §8)."""
