"""CloudWatch Logs Insights: the query language (lexer, parser, evaluator) and the query operations."""
