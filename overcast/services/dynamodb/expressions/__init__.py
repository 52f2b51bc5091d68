"""DynamoDB's expression language: tokenizer, parser, evaluator, update and projection."""
