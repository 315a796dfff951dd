"""Talks (提醒谈话, 批评教育, 诫勉谈话) and written inquiries (函询): docs/domain.md §5."""
