from overcast.protocol.validation import enable_constraint_validation

# DynamoDB Streams checks its input against the model's constraints first, as DynamoDB does
# (limits, lengths of stream ARNs and shard ids, table name patterns). ShardIteratorType is left
# to the provider: Streams lists its values in an order the model does not give.
enable_constraint_validation("dynamodbstreams", left_to_provider={"ShardIteratorType"})
