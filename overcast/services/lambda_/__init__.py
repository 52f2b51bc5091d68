"""AWS Lambda: the control plane (functions, versions, aliases, layers, policies) and, under
runtime/, the data plane that runs function code in forked or spawned processes."""

from overcast.protocol.validation import enable_constraint_validation

# Lambda checks its input against the model's constraints (enums such as LogType or
# LoggingConfig's levels, ranges, lengths, patterns, environment variable names) before anything
# else, as Coral services do. Left to validation.py, which words them as Lambda does: Runtime
# (InvalidParameterValueException); the architectures, package type and routing weights, whose
# allowed values Lambda lists in an order or with a rule the model does not give; memory and
# timeout, whose limits for functions (10,240 MB, 900 s) are below the model's; a function URL's
# qualifier, which Lambda measures against one pattern or another by what it is (url_configs.py).
enable_constraint_validation("lambda", left_to_provider={
    "Runtime", "ArchitecturesList", "PackageType", "AdditionalVersionWeights", "MemorySize", "Timeout",
    "FunctionUrlQualifier"},
    # As Lambda lists StartingPosition's values (LocalStack's AWS-validated
    # test_create_starting_position_validation_exceptions, 2025-02-17).
    enum_orders={"EventSourcePosition": ("LATEST", "AT_TIMESTAMP", "TRIM_HORIZON")})
