"""The PartiQL subset DynamoDB applications use: single-table SELECT, INSERT, UPDATE, DELETE."""
