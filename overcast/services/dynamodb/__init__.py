from overcast.protocol.validation import enable_constraint_validation

# DynamoDB checks its input against the model's constraints (lengths, ranges, enums, patterns)
# before anything else, as Coral services do: a typo such as Select="COUNTS" is refused, not
# ignored. Some shapes are left to the handlers, which word them as DynamoDB does where that
# departs from the generic form:
_LEFT_TO_HANDLERS = {
    # in every item, nesting to any depth: walking them would cost more than the rest of a write
    "AttributeValue", "AttributeName",
    # "Value at 'RequestItems'...", "Value at 'TransactItems'...": no value shown, the member's
    # own capitalisation
    "BatchGetRequestMap", "BatchWriteItemRequestMap", "TransactWriteItemList", "TransactGetItemList",
    # enums DynamoDB lists in its own order, or refuses in its own words
    "AttributeAction", "ComparisonOperator", "TableClass", "ScalarAttributeType", "KeyType",
    # PartiQL's statement lists: "Value at 'statements'...", as the transaction lists
    "PartiQLBatchRequest", "ParameterizedStatements",
    # Query's, Scan's and ExecuteStatement's Limit: Query words it the newer way (query.py)
    "PositiveIntegerObject",
}
# Enums DynamoDB lists in an order of its own (as recorded against DynamoDB by dynalite's tests,
# and by moto's tests marked as verified against AWS).
_ENUM_ORDERS = {
    "Select": ("SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"),
    "ConditionalOperator": ("OR", "AND"),
    "ProjectionType": ("ALL", "INCLUDE", "KEYS_ONLY"),
    "ReturnValue": ("ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"),
}
# PartiQL statements are left out of DynamoDB's messages, as secrets are ("Value at 'statement'").
# Coral lists some members' problems in its own model's order (paritysuite/dynamodb-conformance,
# validation-ordering/createTable.test.ts and transactions.test.ts, us-east-1).
_MEMBER_ORDERS: dict[str, tuple[str, ...]] = {
    "CreateTableInput": ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"),
    "TransactWriteItemsInput": ("ClientRequestToken", "ReturnConsumedCapacity"),
    # paritysuite validation-ordering/updateItem.test.ts (four problems joined; XOR before a
    # missing Key).
    "UpdateItemInput": ("ReturnConsumedCapacity", "TableName", "ReturnValues", "ConditionalOperator", "Key"),
}
enable_constraint_validation("dynamodb", left_to_provider=_LEFT_TO_HANDLERS, enum_orders=_ENUM_ORDERS,
                             sensitive={"PartiQLStatement"}, member_orders=_MEMBER_ORDERS)
